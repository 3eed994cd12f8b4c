import type { HearthContext } from "../context.ts";
import { checkEventsVisibility } from "../rooms/visibility.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";
import { streamEventsDesc } from "../storage/sync/sync-rooms.ts";
import { allowsRoomEvent, type RoomEventFilter } from "./filter.ts";

type TimelineContext = Pick<HearthContext, "db">;

export interface TimelineWindow {
  roomId: string;
  userId: string;
  /** Exclusive lower stream bound; undefined: the room's beginning. */
  after?: number;
  /** Inclusive upper stream bound (the sync's snapshot, or the user's leave event). */
  upTo: number;
  limit: number;
  filter: RoomEventFilter;
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

/**
 * The newest `limit` events in the window that the user may see (history visibility, judged per event)
 * and the filter allows, and whether more such events exist before them.
 */
export async function loadTimeline(ctx: TimelineContext, w: TimelineWindow): Promise<Timeline> {
  const newestFirst: StoredEvent[] = [];
  const memberships = new Map<string, string>();
  let cursor = w.upTo;
  let scanned = 0;
  let scannedDownTo: number | undefined;
  let batch = Math.min(MAX_BATCH, w.limit + 1);
  for (;;) {
    const rows = await streamEventsDesc(ctx.db, w.roomId, w.after, cursor, batch);
    scanned += rows.length;
    const verdicts = await checkEventsVisibility(ctx, w.userId, rows);
    for (const ev of rows) {
      const stream = ev.streamOrdering as number; // timeline rows always have one
      cursor = stream - 1;
      scannedDownTo = stream;
      const verdict = verdicts.get(ev.eventId);
      if (
        !(verdict?.visible || isOwnMembership(ev, w.userId)) ||
        !allowsRoomEvent(w.filter, filterable(ev))
      ) {
        continue;
      }
      if (newestFirst.length === w.limit) {
        return { events: newestFirst.reverse(), memberships, limited: true, scannedDownTo };
      }
      newestFirst.push(ev);
      memberships.set(ev.eventId, verdict?.membership ?? membershipSetBy(ev));
    }
    if (rows.length < batch) {
      return { events: newestFirst.reverse(), memberships, limited: false, scannedDownTo };
    }
    if (scanned >= SCAN_BUDGET) {
      return { events: newestFirst.reverse(), memberships, limited: true, scannedDownTo };
    }
    batch = Math.min(MAX_BATCH, batch * 2);
  }
}
