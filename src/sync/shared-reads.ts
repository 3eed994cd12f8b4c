import type { Db } from "../storage/database.ts";
import {
  membershipsAndChangesMany,
  streamEventsDescMany,
  type MembershipWindow,
  type MembershipsAndChanges,
  type StreamWindow,
  type StreamWindowRows,
} from "../storage/sync/sync-rooms.ts";
import { Coalescer } from "../util/coalescer.ts";

export type ReaderWindow = StreamWindow & { reader: { userId: string; deviceId: string } };

/**
 * The two reads every incremental /sync makes, shared by the syncs that make them in the same turn of
 * the event loop: a message wakes every member's long-poll at once, and they then ask one query each
 * instead of one per member.
 */
export class SharedSyncReads {
  private readonly memberships: Coalescer<MembershipWindow, MembershipsAndChanges>;
  private readonly windows: Coalescer<readonly ReaderWindow[], StreamWindowRows[]>;

  constructor(db: Db) {
    this.memberships = new Coalescer((keys) => membershipsAndChangesMany(db, keys));
    this.windows = new Coalescer(async (asks) => {
      const rows = await streamEventsDescMany(db, asks.flat());
      let at = 0;
      return asks.map((ask) => rows.slice(at, (at += ask.length)));
    }, 16);
  }

  /** membershipsAndChanges(userId, after, upTo). */
  membershipsAndChanges(userId: string, after: number, upTo: number): Promise<MembershipsAndChanges> {
    return this.memberships.load({ userId, after, upTo });
  }

  /** streamEventsDescMany(windows), answered in order. */
  timelineWindows(windows: readonly ReaderWindow[]): Promise<StreamWindowRows[]> {
    return windows.length === 0 ? Promise.resolve([]) : this.windows.load(windows);
  }
}
