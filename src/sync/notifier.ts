/** The streams a sync token carries a position for. */
export type StreamName =
  "events" | "account_data" | "receipts" | "typing" | "presence" | "to_device" | "device_lists";

/**
 * What changed: a stream moved to `position`, and the rooms and users whose syncs it concerns.
 * Positions, not payloads: a woken waiter reads what it needs from storage.
 */
export interface StreamChange {
  stream: StreamName;
  position: number;
  roomIds?: readonly string[];
  userIds?: readonly string[];
}

interface Waiter {
  userId: string;
  roomIds: ReadonlySet<string>;
  /** undefined: released without a change (shutdown). */
  wake: (change: StreamChange | undefined) => void;
}

/**
 * Wakes /sync long-polls when something they care about changes. A waiter costs two index entries and
 * a timer, no database connection; waking is O(waiters of the affected rooms and users).
 */
export class Notifier {
  private readonly byUser = new Map<string, Set<Waiter>>();
  private readonly byRoom = new Map<string, Set<Waiter>>();
  private readonly listeners = new Set<(change: StreamChange) => void>();

  /** Call after the change has committed (and the stream's persistedUpTo covers it). */
  notify(change: StreamChange): void {
    const woken = new Set<Waiter>();
    for (const userId of change.userIds ?? []) for (const w of this.byUser.get(userId) ?? []) woken.add(w);
    for (const roomId of change.roomIds ?? []) for (const w of this.byRoom.get(roomId) ?? []) woken.add(w);
    for (const w of woken) w.wake(change);
    for (const listener of this.listeners) listener(change);
  }

  /** Observes every change (e.g. to publish positions to other processes). */
  subscribe(listener: (change: StreamChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the first change for `userId` or any of `roomIds`, or undefined after `timeoutMs`
   * or when `signal` aborts (client went away, server stopping).
   */
  wait(
    userId: string,
    roomIds: Iterable<string>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<StreamChange | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = { userId, roomIds: new Set(roomIds), wake: (change) => finish(change) };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const onAbort = (): void => finish(undefined);
      const finish = (change: StreamChange | undefined): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.remove(this.byUser, waiter.userId, waiter);
        for (const roomId of waiter.roomIds) this.remove(this.byRoom, roomId, waiter);
        resolve(change);
      };
      if (signal?.aborted) return finish(undefined);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.add(this.byUser, userId, waiter);
      for (const roomId of waiter.roomIds) this.add(this.byRoom, roomId, waiter);
    });
  }

  /**
   * Ends every wait as if it had timed out, so long-polls answer at once (an empty response the client
   * continues from) instead of holding shutdown up until their timeouts.
   */
  releaseAll(): void {
    const all = new Set<Waiter>();
    for (const set of this.byUser.values()) for (const w of set) all.add(w);
    for (const w of all) w.wake(undefined);
  }

  /** Number of waiting long-polls (for metrics and tests). */
  get waiting(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  private add(index: Map<string, Set<Waiter>>, key: string, waiter: Waiter): void {
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(waiter);
  }

  private remove(index: Map<string, Set<Waiter>>, key: string, waiter: Waiter): void {
    const set = index.get(key);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) index.delete(key);
  }
}
