import type { HearthContext } from "../context.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";
import { positionOf, timelineEvents, type TimelinePosition } from "../storage/rooms/timeline.ts";
import type { RoomEventFilter } from "../sync/filter.ts";
import { hiddenAsIgnored, ignoredUsers } from "./ignored-users.ts";
import { gapBefore } from "./pagination-token.ts";
import { filterAllows } from "./room-event-filter.ts";
import { checkEventsVisibility } from "./visibility.ts";

type ScanContext = Pick<HearthContext, "db" | "streams">;

export interface ScanRequest {
  roomId: string;
  userId: string;
  dir: "f" | "b";
  /** The gap to start from. */
  from: TimelinePosition;
  /** The gap to stop at: nothing at or before it (backwards), nothing after it (forwards). */
  bound?: TimelinePosition;
  limit: number;
  filter: RoomEventFilter;
}

export interface ScanResult {
  /** In the direction of travel. */
  events: StoredEvent[];
  /** unsigned.membership of each returned event. */
  memberships: Map<string, string>;
  /** The gap after the last event looked at: where the next page starts. */
  next: TimelinePosition;
  /** Nothing is left between `next` and the bound (or the room's edge). */
  exhausted: boolean;
}

/**
 * Rows examined per request at most. Events the user may not see or the filter drops are skipped, so
 * a page can need many rows; past this budget the page ends early (maybe empty) with a token to go on,
 * which the spec allows ("an empty chunk does not necessarily imply that no more events are available").
 */
const SCAN_BUDGET = 2000;
const MAX_BATCH = 500;

/** Walks a room's timeline from a gap, keeping the events the user may see and the filter allows. */
export async function scanTimeline(ctx: ScanContext, req: ScanRequest): Promise<ScanResult> {
  const maxStream = ctx.streams.events.persistedUpTo;
  const events: StoredEvent[] = [];
  const memberships = new Map<string, string>();
  let cursor = req.from;
  let scanned = 0;
  let batch = req.limit + 1;
  const ignored = req.limit > 0 ? await ignoredUsers(ctx, req.userId) : new Set<string>();
  while (events.length < req.limit && scanned < SCAN_BUDGET) {
    const range = req.dir === "b" ? { upTo: cursor, after: req.bound } : { after: cursor, upTo: req.bound };
    const rows = await timelineEvents(ctx.db, req.roomId, req.dir, range, batch, maxStream);
    scanned += rows.length;
    const verdicts = await checkEventsVisibility(ctx, req.userId, rows);
    let consumed = 0;
    for (const ev of rows) {
      consumed++;
      cursor = req.dir === "b" ? gapBefore(positionOf(ev)) : positionOf(ev);
      const verdict = verdicts.get(ev.eventId);
      if (
        verdict?.visible &&
        filterAllows(req.filter, ev) &&
        !hiddenAsIgnored(ignored, ev.pdu.sender, ev.pdu.state_key)
      ) {
        events.push(ev);
        memberships.set(ev.eventId, verdict.membership);
        if (events.length === req.limit) break;
      }
    }
    if (rows.length < batch && consumed === rows.length)
      return { events, memberships, next: cursor, exhausted: true };
    batch = Math.min(MAX_BATCH, batch * 2);
  }
  return { events, memberships, next: cursor, exhausted: false };
}
