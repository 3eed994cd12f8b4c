import type { HearthConfig } from "../../config/schema.ts";
import type { Metrics } from "../../http/metrics.ts";
import type { Db } from "../../storage/database.ts";
import type { Logger } from "../../util/logger.ts";
import { FederationUnreachableError, type FederationClient } from "../contracts.ts";
import { DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.ts";
import { BullMqDriver } from "./bullmq-driver.ts";
import type { SenderDriver } from "./driver.ts";
import { EphemeralEduQueue } from "./ephemeral-edus.ts";
import { InProcessDriver } from "./in-process-driver.ts";
import { OutboundSender } from "./sender.ts";
import { createSenderMetrics } from "./sender-metrics.ts";
import type { WorkerDeps } from "./transaction-worker.ts";

/** Tuning, mostly for tests (production uses the defaults). */
export interface SenderOptions {
  backoff?: BackoffPolicy;
  /** Jitter source in [0, 1). */
  random?: () => number;
  requestTimeoutMs?: number;
  /** Builds the driver instead of choosing one from the config (tests of a specific driver). */
  driver?: (deps: WorkerDeps) => SenderDriver;
  /**
   * false: this process only writes outbox rows and never delivers (hearth admin while a server owns
   * the database); the process that delivers picks them up on its next wake-up or start.
   */
  deliver?: boolean;
  /** Redis key prefix of the BullMQ driver's queue (tests use a unique one); default "hearth". */
  queuePrefix?: string;
}

const passiveDriver: SenderDriver = {
  start: async () => undefined,
  wake: () => undefined,
  retryNow: () => undefined,
  settled: async () => undefined,
  stop: async () => undefined,
};

/** Until a transport is configured, every destination is unreachable (and retried with backoff). */
const noTransport: FederationClient = {
  request(req) {
    return Promise.reject(
      new FederationUnreachableError(req.destination, "no federation transport configured"),
    );
  },
};

/** BullMQ when Redis is configured (several processes may share the work), else in-process. */
function defaultDriver(config: HearthConfig, deps: WorkerDeps, prefix = "hearth"): SenderDriver {
  if (config.redis.url === undefined) return new InProcessDriver(deps);
  // Processes share a queue exactly when they share the database (schema) and the server name.
  return new BullMqDriver(deps, {
    url: config.redis.url,
    prefix: `${prefix}:${config.database.schema}:${config.server_name}`,
  });
}

export function createFederationSender(opts: {
  config: HearthConfig;
  db: Db;
  log: Logger;
  clock: () => number;
  metrics: Metrics;
  /** Read on every send, so the transport may be attached after the sender is built. */
  client: () => FederationClient | undefined;
  options?: SenderOptions;
}): OutboundSender {
  const ephemeral = new EphemeralEduQueue();
  const deps: WorkerDeps = {
    db: opts.db,
    log: opts.log.child({ component: "federation-sender" }),
    clock: opts.clock,
    serverName: opts.config.server_name,
    client: () => opts.client() ?? noTransport,
    ephemeral,
    metrics: createSenderMetrics(opts.metrics, opts.db),
    backoff: opts.options?.backoff ?? DEFAULT_BACKOFF,
    random: opts.options?.random ?? Math.random,
    requestTimeoutMs: opts.options?.requestTimeoutMs ?? 60_000,
  };
  const driver =
    opts.options?.deliver === false
      ? passiveDriver
      : (opts.options?.driver?.(deps) ?? defaultDriver(opts.config, deps, opts.options?.queuePrefix));
  return new OutboundSender({
    db: opts.db,
    log: deps.log,
    clock: opts.clock,
    serverName: deps.serverName,
    ephemeral,
    driver,
  });
}
