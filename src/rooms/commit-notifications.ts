import type { Notifier } from "../sync/notifier.ts";
import type { StreamTracker } from "../sync/stream-tracker.ts";

interface Pending {
  position: number;
  roomIds: readonly string[];
  userIds: readonly string[];
}

/**
 * Holds back wake-ups for committed events until "persisted up to" covers them. Writers in different
 * rooms commit out of order: when position 7 commits while 6 is still in flight, a reader woken at 7
 * would read up to 6 only and miss 7's room for this wake-up; so 7's rooms wait here and are woken by
 * whichever completion moves persistedUpTo past 7 (possibly 6's rollback).
 */
export class CommitNotifications {
  private pending: Pending[] = [];

  /** Call after commit, before `complete(position)`. */
  committed(position: number, roomIds: readonly string[], userIds: readonly string[]): void {
    this.pending.push({ position, roomIds, userIds });
  }

  /** Call after every `complete` (commit or rollback): wakes everything now covered. */
  flush(tracker: StreamTracker, notifier: Notifier): void {
    if (this.pending.length === 0) return;
    const upTo = tracker.persistedUpTo;
    const ready = this.pending.filter((p) => p.position <= upTo);
    if (ready.length === 0) return;
    this.pending = this.pending.filter((p) => p.position > upTo);
    const roomIds = new Set(ready.flatMap((p) => p.roomIds));
    const userIds = new Set(ready.flatMap((p) => p.userIds));
    notifier.notify({ stream: "events", position: upTo, roomIds: [...roomIds], userIds: [...userIds] });
  }
}
