import { mkdir } from "node:fs/promises";
import path from "node:path";
import { ensureFirstAccountToken } from "./accounts/first-account-token.ts";
import { createAccountRateLimiters } from "./accounts/rate-limits.ts";
import { AccessTokenCache } from "./accounts/token-cache.ts";
import type { HearthConfig } from "./config/schema.ts";
import type { HearthContext } from "./context.ts";
import { createMediaRuntime } from "./media/runtime.ts";
import { createInboundRuntime } from "./federation/inbound/runtime.ts";
import { createFederationServices } from "./federation/create-services.ts";
import type { FederationTransport } from "./federation/client/transport.ts";
import type { FederationClient } from "./federation/contracts.ts";
import { createFederationSender, type SenderOptions } from "./federation/sender/create-sender.ts";
import { createApp } from "./http/app.ts";
import { startListener, stopListener, type RunningListener } from "./http/listeners.ts";
import { Metrics } from "./http/metrics.ts";
import type { HearthApp, Resource } from "./http/types.ts";
import { loadOrCreateServerKeys } from "./keys/signing-key-file.ts";
import { openDatabase, type DbHandle } from "./storage/database.ts";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "./storage/embedded-postgres.ts";
import { memberProfileLookup } from "./profiles/profile.ts";
import { createRoomService } from "./rooms/service.ts";
import { AdminJobs } from "./admin/runtime.ts";
import { acquireRoomWriterLock, type RoomWriterLock } from "./storage/admin/room-writer-lock.ts";
import { initInstanceMeta } from "./storage/instance-meta.ts";
import { migrateToLatest } from "./storage/migrate.ts";
import { Notifier } from "./sync/notifier.ts";
import { createSyncRuntime } from "./sync/runtime.ts";
import { loadStreams } from "./sync/streams.ts";
import { PlannerStatsKeeper } from "./storage/planner-stats.ts";
import { createLogger, type Logger } from "./util/logger.ts";

export interface Homeserver {
  readonly ctx: HearthContext;
  /** The app for a set of resources, for in-process requests (tests) without a socket. */
  app(resources?: readonly Resource[]): HearthApp;
  /** Opens every configured listener. */
  listen(): Promise<RunningListener[]>;
  readonly listeners: readonly RunningListener[];
  /** Drains requests, closes the database pool and stops the embedded database, in that order. */
  stop(): Promise<void>;
  /** Facts worth printing at start. */
  readonly startup: {
    createdSigningKey: boolean;
    embeddedDatabase?: string;
    migrationsApplied: string[];
    /** Single-use token for the first account while registration is closed and no account exists. */
    firstAccountToken?: string;
  };
}

export interface HomeserverOptions {
  clock?: () => number;
  logger?: Logger;
  /** How long stop() lets in-flight requests run before cutting connections. */
  shutdownGraceMs?: number;
  /**
   * Take the room-writer lock before reading stream positions: `wait` (hearth serve) or `try` (hearth
   * admin, which then leaves room writes to the server holding it). Unset: no lock (tests, embedded).
   */
  roomWriterLock?: "wait" | "try";
  /** false: do not create the first-account registration token (hearth admin prints nothing of it). */
  firstAccountToken?: boolean;
  /** How outbound federation requests are delivered; HTTPS with undici when absent (tests go in-process). */
  federationTransport?: FederationTransport;
  /** The client the federation sender sends transactions with (tests of the sender pass a fake). */
  senderClient?: FederationClient;
  /** Tuning of the federation sender (tests: short backoff, a specific driver). */
  sender?: SenderOptions;
}

export class ServerNameMismatchError extends Error {}

const ALL_RESOURCES: readonly Resource[] = ["client", "federation", "media", "admin", "metrics"];
/** How often tables that grew past their planner statistics are analysed (see PlannerStatsKeeper). */
const PLANNER_STATS_INTERVAL_MS = 5_000;

export function signingKeyPath(config: HearthConfig): string {
  return config.signing_key_path;
}

/** Builds one instance: database (embedded or configured), migrations, keys. Nothing is global. */
export async function createHomeserver(
  config: HearthConfig,
  opts: HomeserverOptions = {},
): Promise<Homeserver> {
  const log = opts.logger ?? createLogger(config.log, { server: config.server_name });
  await mkdir(config.data_dir, { recursive: true });

  let embedded: EmbeddedPostgresHandle | undefined;
  let dbHandle: DbHandle | undefined;
  let writerLock: RoomWriterLock | undefined;
  let closeFederation: (() => Promise<void>) | undefined;
  let plannerStats: PlannerStatsKeeper | undefined;
  try {
    let url = config.database.url;
    if (!url) {
      embedded = await startEmbeddedPostgres(path.join(config.data_dir, "postgres"), (line) =>
        log.debug({ component: "postgres" }, line.trim()),
      );
      url = embedded.url;
    }
    dbHandle = openDatabase(url, config.database.schema, config.database.pool_max);
    const migrationsApplied = await migrateToLatest(dbHandle.db, config.database.schema);
    plannerStats = new PlannerStatsKeeper(dbHandle.db, config.database.schema, log);
    plannerStats.start(PLANNER_STATS_INTERVAL_MS);
    const storedName = await initInstanceMeta(dbHandle.db, "server_name", config.server_name);
    if (storedName !== config.server_name) {
      throw new ServerNameMismatchError(
        `this database belongs to server_name ${JSON.stringify(storedName)}, not ${JSON.stringify(config.server_name)}; ` +
          "a server name can never change once chosen",
      );
    }
    const { keys, created } = await loadOrCreateServerKeys(signingKeyPath(config));

    if (opts.roomWriterLock) {
      writerLock = await acquireRoomWriterLock(
        dbHandle.pool,
        config.database.schema,
        opts.roomWriterLock,
        () =>
          log.warn(
            "another hearth process (a server, or hearth admin) writes rooms in this database; waiting for it",
          ),
      );
    }
    const clock = opts.clock ?? Date.now;
    const notifier = new Notifier();
    const streams = await loadStreams(dbHandle.db);
    const federation = await createFederationServices({
      config,
      keys,
      db: dbHandle.db,
      clock,
      log,
      transport: opts.federationTransport,
    });
    closeFederation = federation.close;
    const metrics = new Metrics(dbHandle.pool);
    const client = opts.senderClient ?? federation.services.client;
    const sender = createFederationSender({
      config,
      db: dbHandle.db,
      log,
      clock,
      metrics,
      client: () => client,
      // Like admin jobs: only the process owning room writes delivers.
      options: { ...opts.sender, deliver: opts.roomWriterLock === undefined || writerLock !== undefined },
    });
    const ctx: HearthContext = {
      config,
      serverName: config.server_name,
      log,
      db: dbHandle.db,
      keys,
      metrics,
      clock,
      lastSeen: new Map(),
      accessTokens: new AccessTokenCache(clock),
      rateLimits: createAccountRateLimiters(config, clock),
      notifier,
      streams,
      sync: createSyncRuntime(streams, notifier, dbHandle.db),
      rooms: createRoomService({
        config,
        clock,
        profiles: memberProfileLookup(dbHandle.db),
        eventsPosition: streams.events.persistedUpTo,
        db: dbHandle.db,
      }),
      admin: { jobs: new AdminJobs(opts.roomWriterLock === undefined || writerLock !== undefined) },
      media: await createMediaRuntime(config, dbHandle.db, log, clock()),
      federationInbound: createInboundRuntime(),
      federation: { ...federation.services, sender },
    };
    const homeserver = assemble(
      ctx,
      dbHandle,
      embedded,
      writerLock,
      {
        createdSigningKey: created,
        embeddedDatabase: embedded?.dataDir,
        migrationsApplied,
        firstAccountToken: opts.firstAccountToken === false ? undefined : await ensureFirstAccountToken(ctx),
      },
      opts.shutdownGraceMs ?? 5_000,
      federation.close,
      plannerStats,
    );
    // Whatever the outbox held when the last process stopped goes out now.
    void sender.start();
    return homeserver;
  } catch (err) {
    writerLock?.release();
    await plannerStats?.stop();
    await closeFederation?.().catch(() => undefined);
    await dbHandle?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

function assemble(
  ctx: HearthContext,
  dbHandle: DbHandle,
  embedded: EmbeddedPostgresHandle | undefined,
  writerLock: RoomWriterLock | undefined,
  startup: Homeserver["startup"],
  graceMs: number,
  closeFederation: () => Promise<void>,
  plannerStats: PlannerStatsKeeper,
): Homeserver {
  const apps = new Map<string, HearthApp>();
  const appFor = (resources: readonly Resource[]): HearthApp => {
    const key = [...resources].sort().join(",");
    let app = apps.get(key);
    if (!app) {
      app = createApp(ctx, resources);
      apps.set(key, app);
    }
    return app;
  };
  const listeners: RunningListener[] = [];
  let stopping: Promise<void> | undefined;

  return {
    ctx,
    startup,
    listeners,
    app: (resources = ALL_RESOURCES) => appFor(resources),
    async listen() {
      for (const listener of ctx.config.listeners) {
        listeners.push(await startListener(listener, appFor(listener.resources)));
      }
      return listeners;
    },
    stop() {
      stopping ??= (async () => {
        // Long-polls answer now rather than hold the drain for their whole timeout.
        ctx.notifier.releaseAll();
        await Promise.all(listeners.map((l) => stopListener(l, graceMs)));
        // Thumbnails still being made at upload write rows: let them finish before the pool closes.
        await ctx.media.drain();
        ctx.sync.typing.close();
        await ctx.federation.sender.stop();
        await ctx.admin.jobs.stop();
        await plannerStats.stop();
        writerLock?.release();
        await closeFederation();
        await dbHandle.close();
        await embedded?.stop();
      })();
      return stopping;
    },
  };
}
