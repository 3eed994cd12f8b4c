import type { Notifier, StreamName } from "./notifier.ts";
import type { StreamTracker } from "./stream-tracker.ts";

/** Whose syncs a change concerns. */
export interface ChangeTargets {
  roomIds?: readonly string[];
  userIds?: readonly string[];
}

interface Pending extends ChangeTargets {
  position: number;
}

/**
 * Writes on one per-user stream (account data, receipts, presence): allocate a position, run the
 * write, complete the position whatever happens, and wake waiters only once "persisted up to" covers
 * the change. A change committed at 7 while 6 is still in flight waits here, and is announced by
 * whichever completion moves persistedUpTo past 7, so no waiter is woken to a position it cannot read
 * yet and none is left asleep.
 */
export class StreamWriter {
  private pending: Pending[] = [];

  constructor(
    private readonly stream: StreamName,
    private readonly tracker: StreamTracker,
    private readonly notifier: Notifier,
  ) {}

  /**
   * Runs `write` at a new position; `targets` maps its result to whom to wake, or to undefined when
   * nothing changed. An unused position is simply a gap on the stream.
   */
  async write<T>(
    write: (position: number) => Promise<T>,
    targets: (result: T) => ChangeTargets | undefined,
  ): Promise<T> {
    const position = this.tracker.allocate();
    try {
      const result = await write(position);
      const who = targets(result);
      if (who) this.pending.push({ position, ...who });
      return result;
    } finally {
      this.tracker.complete(position);
      this.flush();
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const upTo = this.tracker.persistedUpTo;
    const ready = this.pending.filter((p) => p.position <= upTo);
    if (ready.length === 0) return;
    this.pending = this.pending.filter((p) => p.position > upTo);
    this.notifier.notify({
      stream: this.stream,
      position: upTo,
      roomIds: [...new Set(ready.flatMap((p) => p.roomIds ?? []))],
      userIds: [...new Set(ready.flatMap((p) => p.userIds ?? []))],
    });
  }
}
