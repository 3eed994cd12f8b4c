import { sql, type Selectable } from "kysely";
import type { Db } from "../database.ts";
import type { EventsTable } from "../schema.ts";
import { storedEventFromRow, type StoredEvent } from "./events.ts";

/**
 * A room's timeline in topological order: (topological_ordering, stream_ordering), which is what
 * /messages, /context and /relations page through. Only events clients may ever see are in it: not
 * outliers, not rejected, not soft-failed, and nothing beyond the stream position every reader may
 * read up to (`maxStream`, the events stream's persisted-up-to).
 */
export interface TimelinePosition {
  topological: number;
  stream: number;
}

export const positionOf = (ev: StoredEvent): TimelinePosition => ({
  topological: ev.topologicalOrdering,
  stream: ev.streamOrdering ?? 0,
});

export function comparePositions(a: TimelinePosition, b: TimelinePosition): number {
  return a.topological - b.topological || a.stream - b.stream;
}

/** A room's timeline events: accepted, not soft-failed, not outliers, with a stream position. */
export function timelineEventsQuery(db: Db, roomId: string) {
  return db
    .selectFrom("events")
    .selectAll()
    .where("room_id", "=", roomId)
    .where("outlier", "=", false)
    .where("rejected_reason", "is", null)
    .where("soft_failed", "=", false)
    .where("stream_ordering", "is not", null);
}

function timelineBase(db: Db, roomId: string, maxStream: number) {
  return timelineEventsQuery(db, roomId).where("stream_ordering", "<=", String(maxStream));
}

const tuple = sql`(topological_ordering, stream_ordering)`;
const pos = (p: TimelinePosition) => sql`(${String(p.topological)}::bigint, ${String(p.stream)}::bigint)`;

export interface TimelineRange {
  /** Exclusive lower bound (forwards: where the page starts; backwards: where it must stop). */
  after?: TimelinePosition;
  /** Inclusive upper bound. */
  upTo?: TimelinePosition;
}

/**
 * Up to `limit` timeline events within the range: ascending from `after` when `dir` is "f",
 * descending from `upTo` when "b".
 */
export async function timelineEvents(
  db: Db,
  roomId: string,
  dir: "f" | "b",
  range: TimelineRange,
  limit: number,
  maxStream: number,
): Promise<StoredEvent[]> {
  let q = timelineBase(db, roomId, maxStream);
  if (range.after) q = q.where(sql<boolean>`${tuple} > ${pos(range.after)}`);
  if (range.upTo) q = q.where(sql<boolean>`${tuple} <= ${pos(range.upTo)}`);
  const order = dir === "f" ? "asc" : "desc";
  const rows: Selectable<EventsTable>[] = await q
    .orderBy("topological_ordering", order)
    .orderBy("stream_ordering", order)
    .limit(limit)
    .execute();
  return rows.map(storedEventFromRow);
}

/**
 * The newest timeline position among events with stream_ordering ≤ `streamPos`: how a sync token
 * (a stream position) becomes a point in topological order.
 */
export async function latestPositionAtStream(
  db: Db,
  roomId: string,
  streamPos: number,
  maxStream: number,
): Promise<TimelinePosition | undefined> {
  const row = await timelineBase(db, roomId, Math.min(streamPos, maxStream))
    .clearSelect()
    .select(["topological_ordering", "stream_ordering"])
    .orderBy("topological_ordering", "desc")
    .orderBy("stream_ordering", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  return { topological: Number(row.topological_ordering), stream: Number(row.stream_ordering) };
}

/** The oldest timeline position of the room, if it has any event. */
export async function earliestPosition(
  db: Db,
  roomId: string,
  maxStream: number,
): Promise<TimelinePosition | undefined> {
  const row = await timelineBase(db, roomId, maxStream)
    .clearSelect()
    .select(["topological_ordering", "stream_ordering"])
    .orderBy("topological_ordering", "asc")
    .orderBy("stream_ordering", "asc")
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  return { topological: Number(row.topological_ordering), stream: Number(row.stream_ordering) };
}
