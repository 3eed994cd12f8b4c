/**
 * Server name → where to connect (spec server-server §Resolving server names): IP literal, explicit
 * port, `/.well-known/matrix/server` delegation, SRV `_matrix-fed._tcp` then the deprecated
 * `_matrix._tcp`, then port 8448. The Host header and the TLS name follow the spec for each case.
 */
import type { ResolvedServer, ServerResolver } from "../client/undici-transport.ts";
import { parseServerName } from "./server-name.ts";
import { lookupMatrixSrv, type DiscoveryDns } from "./srv.ts";
import { parseWellKnownServer, wellKnownCacheMs, wellKnownErrorCacheMs } from "./well-known.ts";

export const DEFAULT_FEDERATION_PORT = 8448;
/** Node's resolver does not expose SRV TTLs; results are reused this long. */
export const RESOLUTION_CACHE_MS = 10 * 60_000;
const MAX_CACHED_NAMES = 10_000;

export interface WellKnownResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** GET `https://<hostname>/.well-known/matrix/server`, following redirects; throws when unreachable. */
export type WellKnownFetcher = (hostname: string) => Promise<WellKnownResponse>;

export interface ServerResolverDeps {
  dns: DiscoveryDns;
  fetchWellKnown: WellKnownFetcher;
  clock: () => number;
}

interface WellKnownEntry {
  /** The delegated server name; undefined when the lookup failed or was invalid. */
  server: string | undefined;
  expiresAt: number;
  failures: number;
}

export class InvalidServerNameError extends Error {
  override name = "InvalidServerNameError";
}

/** Bounded map: clearing now and then is cheaper than an LRU for a few thousand names. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_CACHED_NAMES && !map.has(key)) map.clear();
  map.set(key, value);
}

export function createServerResolver(deps: ServerResolverDeps): ServerResolver {
  const wellKnown = new Map<string, WellKnownEntry>();
  const resolved = new Map<string, { value: ResolvedServer; expiresAt: number }>();
  const inflight = new Map<string, Promise<ResolvedServer>>();

  async function delegation(hostname: string): Promise<{ server: string | undefined; expiresAt: number }> {
    const now = deps.clock();
    const cached = wellKnown.get(hostname);
    if (cached && cached.expiresAt > now) return cached;
    let server: string | undefined;
    let cacheMs: number | undefined;
    try {
      const res = await deps.fetchWellKnown(hostname);
      if (res.status === 200) {
        server = parseWellKnownServer(res.body);
        if (server !== undefined) cacheMs = wellKnownCacheMs(res.headers, deps.clock());
      }
    } catch {
      server = undefined;
    }
    const entry: WellKnownEntry =
      server !== undefined && cacheMs !== undefined
        ? { server, expiresAt: deps.clock() + cacheMs, failures: 0 }
        : (() => {
            const failures = (cached?.server === undefined ? (cached?.failures ?? 0) : 0) + 1;
            return { server: undefined, expiresAt: deps.clock() + wellKnownErrorCacheMs(failures), failures };
          })();
    remember(wellKnown, hostname, entry);
    return entry;
  }

  /** Steps 3.3–3.5 and 4–6: SRV records of `hostname`, else its port 8448; Host and TLS are `hostname`. */
  async function viaSrv(hostname: string): Promise<ResolvedServer> {
    const srv = await lookupMatrixSrv(deps.dns, hostname);
    return srv
      ? { host: srv.host, port: srv.port, hostHeader: hostname, tlsName: hostname }
      : { host: hostname, port: DEFAULT_FEDERATION_PORT, hostHeader: hostname, tlsName: hostname };
  }

  async function resolveUncached(serverName: string): Promise<{ value: ResolvedServer; expiresAt: number }> {
    const parsed = parseServerName(serverName);
    if (!parsed) throw new InvalidServerNameError(`Invalid server name ${serverName}`);
    const forever = Number.POSITIVE_INFINITY;
    // Steps 1 and 2: an IP literal or an explicit port is used as given.
    if (parsed.isIpLiteral || parsed.port !== undefined) {
      const value = {
        host: parsed.host,
        port: parsed.port ?? DEFAULT_FEDERATION_PORT,
        hostHeader: serverName,
        tlsName: parsed.host,
      };
      return { value, expiresAt: forever };
    }
    const wk = await delegation(parsed.host);
    const expiresAt = Math.min(wk.expiresAt, deps.clock() + RESOLUTION_CACHE_MS);
    if (wk.server === undefined) return { value: await viaSrv(parsed.host), expiresAt };
    const delegated = parseServerName(wk.server);
    if (!delegated) return { value: await viaSrv(parsed.host), expiresAt };
    // Step 3.1 and 3.2: the delegated name's IP literal or explicit port.
    if (delegated.isIpLiteral || delegated.port !== undefined) {
      const value = {
        host: delegated.host,
        port: delegated.port ?? DEFAULT_FEDERATION_PORT,
        hostHeader: wk.server,
        tlsName: delegated.host,
      };
      return { value, expiresAt };
    }
    return { value: await viaSrv(delegated.host), expiresAt };
  }

  return {
    async resolve(serverName: string): Promise<ResolvedServer> {
      const hit = resolved.get(serverName);
      if (hit && hit.expiresAt > deps.clock()) return hit.value;
      let pending = inflight.get(serverName);
      if (!pending) {
        pending = resolveUncached(serverName)
          .then((r) => {
            remember(resolved, serverName, r);
            return r.value;
          })
          .finally(() => inflight.delete(serverName));
        inflight.set(serverName, pending);
      }
      return pending;
    },
  };
}
