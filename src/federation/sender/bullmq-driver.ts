import { randomBytes } from "node:crypto";
import type { DelayedError, Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { destinationsWithWork } from "../../storage/federation/destinations.ts";
import type { SenderDriver } from "./driver.ts";
import { deliverOnce, type WorkerDeps } from "./transaction-worker.ts";

interface DeliverJob {
  destination: string;
  /** Set when the job was delayed for a backoff: when it fires, the backoff is over. */
  force?: boolean;
}

const QUEUE_NAME = "federation-sender";

/** The Redis key of a destination's sending lock. */
export function destinationLockKey(prefix: string, destination: string): string {
  return `${prefix}:${QUEUE_NAME}:lock:${destination}`;
}
/** How long a destination's lock lives without renewal (a crashed holder frees it after this). */
const LOCK_TTL_MS = 30_000;
/** destinationIsUp looks a destination's delayed job up at most this often. */
const RETRY_NOW_INTERVAL_MS = 1_000;

// Deletes the lock only if we still hold it (another process may own it after our TTL ran out).
const RELEASE_LUA = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const RENEW_LUA = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

/**
 * The driver for several processes sharing Postgres and Redis. A wake is a BullMQ job deduplicated per
 * destination (`keepLastIfActive`: a wake during a run queues exactly one more run, so none is lost);
 * backoff moves that job to delayed (wakes meanwhile are deduplicated into it); and a lock in Redis
 * per destination (SET NX PX, renewed while held) keeps a second process from sending to the same
 * destination even when BullMQ hands a stalled job to another worker. The outbox stays the truth: a
 * process killed mid-transaction leaves it stored, and whoever starts next sends it again.
 */
interface Connected {
  queue: Queue<DeliverJob>;
  redis: Redis;
  DelayedError: typeof DelayedError;
  Worker: typeof Worker;
}

export class BullMqDriver implements SenderDriver {
  private worker: Worker<DeliverJob> | undefined;
  private connected: Promise<Connected> | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private readonly lastRetryNow = new Map<string, number>();
  private stopped = false;
  private readonly stopSignal: Promise<"stopped">;
  private signalStop!: () => void;
  private startup: Promise<void> | undefined;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly opts: { url: string; prefix: string; concurrency?: number },
  ) {
    this.stopSignal = new Promise((resolve) => (this.signalStop = () => resolve("stopped")));
  }

  /**
   * BullMQ and ioredis are loaded on first use (they add ~27 MiB to a process), so a server without
   * Redis never loads them: this module is bundled, and only a dynamic import of the packages defers them.
   */
  private connect(): Promise<Connected> {
    this.connected ??= (async () => {
      const [{ Queue, Worker, DelayedError }, { Redis }] = await Promise.all([
        import("bullmq"),
        import("ioredis"),
      ]);
      const redis = new Redis(this.opts.url, { maxRetriesPerRequest: 3, lazyConnect: false });
      // Connection trouble is logged by the commands that fail; an unhandled 'error' would crash us.
      redis.on("error", () => undefined);
      const queue = new Queue<DeliverJob>(QUEUE_NAME, {
        connection: { url: this.opts.url },
        prefix: this.opts.prefix,
      });
      queue.on("error", () => undefined);
      return { queue, redis, DelayedError, Worker };
    })();
    return this.connected;
  }

  start(): Promise<void> {
    this.startup ??= (async () => {
      const { Worker } = await this.connect();
      this.worker = new Worker<DeliverJob>(QUEUE_NAME, (job, token) => this.process(job, token), {
        connection: { url: this.opts.url },
        prefix: this.opts.prefix,
        concurrency: this.opts.concurrency ?? 32,
      });
      this.worker.on("error", (err) => this.deps.log.warn({ err }, "federation sender queue error"));
      const now = this.deps.clock();
      for (const { destination, retryAtTs } of await destinationsWithWork(this.deps.db)) {
        await this.enqueue(destination, retryAtTs !== null && retryAtTs > now ? retryAtTs - now : 0);
      }
    })().catch((err: unknown) => this.deps.log.error({ err }, "federation sender could not start"));
    return this.startup;
  }

  wake(destination: string): void {
    if (this.stopped) return;
    this.enqueue(destination, 0).catch((err: unknown) =>
      this.deps.log.warn({ err, destination }, "could not queue a federation wake-up"),
    );
  }

  retryNow(destination: string): void {
    if (this.stopped) return;
    const now = this.deps.clock();
    if (now - (this.lastRetryNow.get(destination) ?? 0) < RETRY_NOW_INTERVAL_MS) return;
    this.lastRetryNow.set(destination, now);
    if (this.lastRetryNow.size > 10_000) this.lastRetryNow.clear();
    void (async () => {
      const { queue } = await this.connect();
      const id = await queue.getDeduplicationJobId(destination);
      const job = id === null ? undefined : await queue.getJob(id);
      if (job && (await job.isDelayed())) await job.promote();
    })().catch((err: unknown) => this.deps.log.debug({ err, destination }, "retryNow failed"));
  }

  async settled(destination: string): Promise<void> {
    for (let run = this.running.get(destination); run; run = this.running.get(destination)) await run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    await this.startup;
    // Runs return at once (a transaction in flight is stored and resent by whoever runs next), so
    // their jobs complete normally and the next process is not left waiting for a stalled job.
    await Promise.all(this.running.values());
    await this.worker?.close();
    if (this.connected) {
      const { queue, redis } = await this.connected;
      await queue.close();
      redis.disconnect();
    }
  }

  private async enqueue(destination: string, delayMs: number): Promise<void> {
    const { queue } = await this.connect();
    await queue.add(
      "deliver",
      { destination, force: delayMs > 0 },
      {
        deduplication: { id: destination, keepLastIfActive: true },
        delay: delayMs,
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  private async process(job: Job<DeliverJob>, token: string | undefined): Promise<void> {
    const { destination } = job.data;
    const { redis, DelayedError } = await this.connect();
    const lockKey = destinationLockKey(this.opts.prefix, destination);
    const lockValue = randomBytes(12).toString("hex");
    const got = await redis.set(lockKey, lockValue, "PX", LOCK_TTL_MS, "NX");
    if (got !== "OK") {
      // Someone else is sending there right now; look again once their lock would have expired.
      await job.moveToDelayed(Date.now() + LOCK_TTL_MS, token);
      throw new DelayedError();
    }
    const renew = setInterval(() => {
      redis.eval(RENEW_LUA, 1, lockKey, lockValue, String(LOCK_TTL_MS)).catch(() => undefined);
    }, LOCK_TTL_MS / 3);
    const run = this.run(job, token, destination);
    this.running.set(
      destination,
      run.then(
        () => undefined,
        () => undefined,
      ),
    );
    try {
      await run;
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      // A database or Redis error: look again later rather than drop the wake-up.
      this.deps.log.error({ err, destination }, "federation sender step failed");
      if (this.stopped) return;
      await job.moveToDelayed(Date.now() + this.deps.backoff.initialMs, token);
      throw new DelayedError();
    } finally {
      clearInterval(renew);
      this.running.delete(destination);
      await redis.eval(RELEASE_LUA, 1, lockKey, lockValue).catch(() => undefined);
    }
  }

  /** Sends until idle; a backoff turns the job into a delayed one due when the backoff ends. */
  private async run(job: Job<DeliverJob>, token: string | undefined, destination: string): Promise<void> {
    const { DelayedError } = await this.connect();
    for (let force = job.data.force === true; !this.stopped; force = false) {
      const step = deliverOnce(this.deps, destination, force);
      step.catch(() => undefined);
      const outcome = await Promise.race([step, this.stopSignal]);
      if (outcome === "stopped" || outcome.kind === "idle") return;
      if (outcome.kind === "wait") {
        await job.updateData({ destination, force: true });
        // BullMQ's delays run on the Redis host's wall clock, not the injected one.
        await job.moveToDelayed(Date.now() + Math.max(0, outcome.at - this.deps.clock()), token);
        throw new DelayedError();
      }
    }
  }
}
