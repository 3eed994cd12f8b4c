import type { HearthContext } from "../context.ts";
import { checkEventsVisibility, type EventVisibility } from "../rooms/visibility.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";
import { streamEventsDesc } from "../storage/sync/sync-rooms.ts";
import { allowsRoomEvent, type RoomEventFilter } from "./filter.ts";

type TimelineContext = Pick<HearthContext, "db" | "sync">;

export interface TimelineWindow {
  roomId: string;
  userId: string;
  /** Exclusive lower stream bound; undefined: the room's beginning. */
  after?: number;
  /** Inclusive upper stream bound (the sync's snapshot, or the user's leave event). */
  upTo: number;
  limit: number;
  filter: RoomEventFilter;
  /** An incremental section: its state is a delta from the state at `after` (see Timeline.sinceGroup). */
  delta: boolean;
}

export interface Timeline {
  /** Oldest first, as the response lists them. */
  events: StoredEvent[];
  /** unsigned.membership of each returned event. */
  memberships: Map<string, string>;
  /** Matching events were left out between `after` and the first returned event. */
  limited: boolean;
  /** Stream position of the oldest event examined (where paging back should continue from). */
  scannedDownTo: number | undefined;
  /** The window holds events, whether or not any is shown (a delta section must then be worked out). */
  inWindow: boolean;
  /** For delta windows with events: the state group at `after`, found with the first batch. */
  sinceGroup?: number;
}

/**
 * Rows examined per room at most: events the user may not see or the filter drops are skipped, so a
 * window can take many rows; past the budget the timeline is returned as limited (the client pages
 * back with prev_batch).
 */
const SCAN_BUDGET = 1000;
const MAX_BATCH = 200;

const filterable = (ev: StoredEvent) => ({
  type: ev.pdu.type,
  sender: ev.pdu.sender,
  roomId: ev.roomId,
  content: ev.pdu.content,
});

/**
 * Sync always shows users their own member events, even where history visibility would hide them
 * (rejecting an invite to a `shared` room: neither "invite" nor "leave" may see that room's events).
 * Without the leave in the timeline a client cannot tell that the invite is gone; the event tells the
 * user nothing they do not know.
 */
function isOwnMembership(ev: StoredEvent, userId: string): boolean {
  return ev.pdu.type === "m.room.member" && ev.pdu.state_key === userId;
}

function membershipSetBy(ev: StoredEvent): string {
  const membership = ev.pdu.content.membership;
  return typeof membership === "string" ? membership : "leave";
}

/** One window's scan, newest first, fed batch by batch. */
class Scan {
  readonly newestFirst: StoredEvent[] = [];
  readonly memberships = new Map<string, string>();
  cursor: number;
  scanned = 0;
  scannedDownTo: number | undefined;
  batch: number;
  result: Timeline | undefined;

  constructor(readonly w: TimelineWindow) {
    this.cursor = w.upTo;
    this.batch = Math.min(MAX_BATCH, w.limit + 1);
  }

  /** Takes one batch of rows (newest first) with their visibility; sets `result` when done. */
  consume(rows: readonly StoredEvent[], verdicts: ReadonlyMap<string, EventVisibility>): void {
    const { w } = this;
    this.scanned += rows.length;
    for (const ev of rows) {
      const stream = ev.streamOrdering as number; // timeline rows always have one
      this.cursor = stream - 1;
      this.scannedDownTo = stream;
      const verdict = verdicts.get(ev.eventId);
      if (
        !(verdict?.visible || isOwnMembership(ev, w.userId)) ||
        !allowsRoomEvent(w.filter, filterable(ev))
      ) {
        continue;
      }
      if (this.newestFirst.length === w.limit) return this.finish(true);
      this.newestFirst.push(ev);
      this.memberships.set(ev.eventId, verdict?.membership ?? membershipSetBy(ev));
    }
    if (rows.length < this.batch) return this.finish(false);
    if (this.scanned >= SCAN_BUDGET) return this.finish(true);
    this.batch = Math.min(MAX_BATCH, this.batch * 2);
  }

  sinceGroup: number | undefined;

  private finish(limited: boolean): void {
    this.result = {
      events: [...this.newestFirst].reverse(),
      memberships: this.memberships,
      limited,
      scannedDownTo: this.scannedDownTo,
      inWindow: this.scanned > 0,
      sinceGroup: this.sinceGroup,
    };
  }
}

async function runScan(ctx: TimelineContext, scan: Scan): Promise<Timeline> {
  while (!scan.result) {
    const { w } = scan;
    const rows = await streamEventsDesc(ctx.db, w.roomId, w.after, scan.cursor, scan.batch);
    scan.consume(rows, await checkEventsVisibility(ctx, w.userId, rows, ctx.sync.groupFacts));
  }
  return scan.result;
}

/**
 * Timelines of many rooms of one user: the first batch of every room comes from one query and one
 * visibility check (an initial sync of a hundred rooms is then a handful of queries, not hundreds);
 * only rooms whose first batch did not settle it go on alone. Rooms without events in their window
 * cost an index probe in that query, so incremental syncs ask for every room rather than first
 * finding out which have events.
 */
export async function loadTimelines(
  ctx: TimelineContext,
  windows: readonly TimelineWindow[],
  deviceId: string,
): Promise<Map<string, Timeline>> {
  const out = new Map<string, Timeline>();
  if (windows.length === 0) return out;
  const scans = windows.map((w) => new Scan(w));
  const userId = windows[0]!.userId;
  const reader = { userId, deviceId };
  const rows = await ctx.sync.reads.timelineWindows(
    scans.map((s) => ({
      roomId: s.w.roomId,
      after: s.w.after,
      upTo: s.w.upTo,
      limit: s.batch,
      boundary: s.w.delta,
      reader,
    })),
  );
  const verdicts = await checkEventsVisibility(
    ctx,
    userId,
    rows.flatMap((r) => r.events),
    ctx.sync.groupFacts,
  );
  await Promise.all(
    scans.map(async (scan, i) => {
      scan.sinceGroup = rows[i]!.boundary;
      scan.consume(rows[i]!.events, verdicts);
      out.set(scan.w.roomId, await runScan(ctx, scan));
    }),
  );
  return out;
}
