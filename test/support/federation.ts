/**
 * Several homeservers in one process, federating through an in-process network: each one's client
 * delivers straight into the destination's federation app with the raw bytes and headers it signed,
 * so X-Matrix signing and verification run for real on both sides. Servers can be partitioned,
 * stopped and restarted (same database schema, key and data directory).
 */
import { rm } from "node:fs/promises";
import type { HearthConfig } from "../../src/config/schema.ts";
import type {
  FederationTransport,
  TransportRequest,
  TransportResponse,
} from "../../src/federation/client/transport.ts";
import { FederationUnreachableError } from "../../src/federation/contracts.ts";
import { createHomeserver, type Homeserver, type HomeserverOptions } from "../../src/homeserver.ts";
import { dropSchema } from "./database.ts";
import { testConfig } from "./homeserver.ts";

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Who can reach whom. Links are symmetric; a server that is not registered is down. */
export class TestNetwork {
  private readonly handlers = new Map<string, FetchHandler>();
  private readonly cut = new Set<string>();
  /** Every request delivered, in order (method, origin, destination, path), for assertions. */
  readonly log: { origin: string; destination: string; method: string; path: string; status?: number }[] = [];

  private static link(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  register(serverName: string, handler: FetchHandler): void {
    this.handlers.set(serverName, handler);
  }

  unregister(serverName: string): void {
    this.handlers.delete(serverName);
  }

  /** Requests between `a` and `b`, either way, throw FederationUnreachableError until healed. */
  partition(a: string, b: string): void {
    this.cut.add(TestNetwork.link(a, b));
  }

  /** Restores the link between `a` and `b`, or every link when called without arguments. */
  heal(a?: string, b?: string): void {
    if (a === undefined || b === undefined) this.cut.clear();
    else this.cut.delete(TestNetwork.link(a, b));
  }

  /** Whether `origin` can reach `destination` right now. */
  reachable(origin: string, destination: string): boolean {
    return this.handlers.has(destination) && !this.cut.has(TestNetwork.link(origin, destination));
  }

  /** The transport `origin`'s homeserver sends through. */
  transportFor(origin: string): FederationTransport {
    return {
      send: async (req: TransportRequest): Promise<TransportResponse> => {
        const entry: (typeof this.log)[number] = {
          origin,
          destination: req.destination,
          method: req.method,
          path: req.path,
        };
        this.log.push(entry);
        const handler = this.handlers.get(req.destination);
        if (!handler) throw new FederationUnreachableError(req.destination, `${req.destination} is down`);
        if (this.cut.has(TestNetwork.link(origin, req.destination))) {
          throw new FederationUnreachableError(
            req.destination,
            `${origin} is partitioned from ${req.destination}`,
          );
        }
        const request = new Request(`https://${req.destination}${req.path}`, {
          method: req.method,
          headers: req.headers,
          body: req.body,
        });
        const response = await handler(request);
        const body = new Uint8Array(await response.arrayBuffer());
        entry.status = response.status;
        // A partition that began while the request was in flight loses the answer, as a real one would.
        if (!this.reachable(origin, req.destination)) {
          throw new FederationUnreachableError(req.destination, `${req.destination} went away mid-request`);
        }
        return { status: response.status, headers: response.headers, body };
      },
    };
  }
}

export interface TestFederation {
  readonly net: TestNetwork;
  readonly names: readonly string[];
  /** The running (or last) instance of `name`; a restart replaces it. */
  hs(name: string): Homeserver;
  /** All current instances, in the order of `names`. */
  readonly servers: readonly Homeserver[];
  /** Stops `name`: requests to it throw FederationUnreachableError until started again. */
  stop(name: string): Promise<void>;
  /** Starts `name` again on its database, key and data directory. */
  start(name: string): Promise<Homeserver>;
  restart(name: string): Promise<Homeserver>;
  /** Stops everything, drops the schemas and removes the data directories. */
  destroy(): Promise<void>;
}

export interface StartFederationOptions {
  /** Config overrides for every server, or per server name. */
  overrides?: Record<string, unknown> | ((name: string) => Record<string, unknown>);
  /** Shared by every server (e.g. a movable test clock). */
  clock?: () => number;
  homeserverOptions?: Omit<HomeserverOptions, "federationTransport" | "clock">;
}

/** N homeservers named as given (e.g. `hs1.test`), each with its own schema and key, all connected. */
export async function startFederation(
  names: string[],
  opts: StartFederationOptions = {},
): Promise<TestFederation> {
  const net = new TestNetwork();
  const configs = new Map<string, HearthConfig>();
  const running = new Map<string, Homeserver>();
  const stopped = new Set<string>();

  const boot = async (name: string): Promise<Homeserver> => {
    const config = configs.get(name)!;
    const hs = await createHomeserver(config, {
      ...opts.homeserverOptions,
      ...(opts.clock ? { clock: opts.clock } : {}),
      federationTransport: net.transportFor(name),
    });
    running.set(name, hs);
    stopped.delete(name);
    const app = hs.app(["federation"]);
    net.register(name, (request) => app.fetch(request));
    return hs;
  };

  try {
    for (const name of names) {
      const extra = typeof opts.overrides === "function" ? opts.overrides(name) : (opts.overrides ?? {});
      configs.set(name, await testConfig({ server_name: name, ...extra }));
    }
    await Promise.all(names.map(boot));
  } catch (err) {
    await Promise.all([...running.values()].map((hs) => hs.stop().catch(() => undefined)));
    throw err;
  }

  const stop = async (name: string): Promise<void> => {
    net.unregister(name);
    stopped.add(name);
    await running.get(name)?.stop();
  };

  const get = (name: string): Homeserver => {
    const hs = running.get(name);
    if (!hs) throw new Error(`No homeserver named ${name}`);
    return hs;
  };

  return {
    net,
    names,
    hs: get,
    get servers() {
      return names.map(get);
    },
    stop,
    start: boot,
    async restart(name) {
      await stop(name);
      return boot(name);
    },
    async destroy() {
      for (const name of names) net.unregister(name);
      await Promise.all(
        names.map(async (name) => {
          if (!stopped.has(name)) await running.get(name)?.stop();
          const config = configs.get(name)!;
          await dropSchema(config.database.schema);
          await rm(config.data_dir, { recursive: true, force: true });
        }),
      );
    },
  };
}
