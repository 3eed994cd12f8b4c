import { destinationsWithWork } from "../../storage/federation/destinations.ts";
import type { SenderDriver } from "./driver.ts";
import type { DestinationWork } from "../../storage/federation/destination-work.ts";
import { deliverOnce, type WorkerDeps } from "./transaction-worker.ts";

/**
 * The driver without Redis: one loop per destination with work, timers for backoff. Only one process
 * may serve the database then, so memory is enough to keep one transaction in flight per destination.
 */
export class InProcessDriver implements SenderDriver {
  private readonly running = new Map<string, Promise<void>>();
  /** Woken while its loop ran: run again after it (true: forced). */
  private readonly again = new Map<string, boolean>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Destinations in backoff, until when: plain wakes leave them alone. */
  private readonly waitingUntil = new Map<string, number>();
  private stopped = false;
  private readonly stopSignal: Promise<"stopped">;
  private signalStop!: () => void;
  private startup: Promise<void> | undefined;

  constructor(private readonly deps: WorkerDeps) {
    this.stopSignal = new Promise((resolve) => (this.signalStop = () => resolve("stopped")));
  }

  start(): Promise<void> {
    this.startup ??= (async () => {
      const now = this.deps.clock();
      for (const { destination, retryAtTs } of await destinationsWithWork(this.deps.db)) {
        if (retryAtTs !== null && retryAtTs > now) this.schedule(destination, retryAtTs);
        else this.wake(destination, false);
      }
    })().catch((err: unknown) => this.deps.log.error({ err }, "federation sender could not read its outbox"));
    return this.startup;
  }

  wake(destination: string, force: boolean): void {
    if (this.stopped) return;
    if (force) {
      this.waitingUntil.delete(destination);
      const timer = this.timers.get(destination);
      if (timer) clearTimeout(timer);
      this.timers.delete(destination);
    } else if ((this.waitingUntil.get(destination) ?? 0) > this.deps.clock()) {
      return;
    }
    if (this.running.has(destination)) {
      this.again.set(destination, force || (this.again.get(destination) ?? false));
      return;
    }
    const loop = this.loop(destination, force)
      .catch((err: unknown) => {
        if (this.stopped) return;
        // A database error: try again later rather than spin or give up.
        this.deps.log.error({ err, destination }, "federation sender step failed");
        this.schedule(destination, this.deps.clock() + this.deps.backoff.initialMs);
      })
      .finally(() => {
        this.running.delete(destination);
        const forced = this.again.get(destination);
        this.again.delete(destination);
        if (forced !== undefined) this.wake(destination, forced);
      });
    this.running.set(destination, loop);
  }

  retryNow(destination: string): void {
    // While an attempt runs, its outcome is unknown yet: if it fails, the retry must not wait.
    if (this.running.has(destination)) this.again.set(destination, true);
    else if (this.waitingUntil.has(destination)) this.wake(destination, true);
  }

  async settled(destination: string): Promise<void> {
    for (let loop = this.running.get(destination); loop; loop = this.running.get(destination)) await loop;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.startup;
    await Promise.all(this.running.values());
  }

  /** Sends until the destination is idle or must wait. */
  private async loop(destination: string, force: boolean): Promise<void> {
    let next: DestinationWork | undefined;
    for (let forced = force; !this.stopped; forced = false) {
      const step = deliverOnce(this.deps, destination, forced, next);
      // A request in flight at stop is abandoned, not awaited: its transaction stays stored and is
      // resent with the same id by the next start (the receiver dedupes it if it did arrive).
      step.catch(() => undefined);
      const outcome = await Promise.race([step, this.stopSignal]);
      if (outcome === "stopped" || outcome.kind === "idle") return;
      if (outcome.kind === "wait") {
        this.schedule(destination, outcome.at);
        return;
      }
      next = outcome.next;
    }
  }

  private schedule(destination: string, at: number): void {
    if (this.stopped) return;
    this.waitingUntil.set(destination, at);
    const existing = this.timers.get(destination);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(
      () => {
        this.timers.delete(destination);
        this.wake(destination, true);
      },
      Math.max(0, at - this.deps.clock()),
    );
    this.timers.set(destination, timer);
  }
}
