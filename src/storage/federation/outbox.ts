import { sql } from "kysely";
import type { Db } from "../database.ts";

/** One PDU waiting for a destination; `pdu` is undefined when its event row no longer exists. */
export interface OutboxPdu {
  streamOrdering: number;
  eventId: string;
  pdu: string | undefined;
}

export interface OutboxEdu {
  eduId: number;
  eduType: string;
  content: string;
}

/** Records, in the event's own transaction, that `destinations` must receive the event. */
export async function insertOutboxPdus(
  tx: Db,
  destinations: readonly string[],
  event: { streamOrdering: number; roomId: string; eventId: string },
): Promise<void> {
  if (destinations.length === 0) return;
  await tx
    .insertInto("federation_outbox_pdus")
    .values(
      destinations.map((destination) => ({
        destination,
        stream_ordering: event.streamOrdering,
        room_id: event.roomId,
        event_id: event.eventId,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Whether more than `limit` PDUs wait for the destination (counts no further than needed). */
export async function hasMorePdusThan(db: Db, destination: string, limit: number): Promise<boolean> {
  const result = await sql<{ n: string }>`
    SELECT count(*) AS n FROM (
      SELECT 1 FROM federation_outbox_pdus WHERE destination = ${destination} LIMIT ${limit + 1}
    ) AS capped
  `.execute(db);
  return Number(result.rows[0]?.n ?? 0) > limit;
}

/**
 * Catch-up for a destination far behind: keeps, per room, only the events that are still forward
 * extremities and the latest one queued, and forgets the rest (the receiver fetches the gap with
 * get_missing_events). `keep`: rows of the transaction in flight. One statement, so rows committed meanwhile (always later in their room) stay.
 * Returns how many rows were dropped.
 */
export async function compactToLatest(db: Db, destination: string, keep: readonly number[]): Promise<number> {
  const result = await sql`
    DELETE FROM federation_outbox_pdus o
    WHERE o.destination = ${destination}
      AND NOT EXISTS (
        SELECT 1 FROM forward_extremities f WHERE f.room_id = o.room_id AND f.event_id = o.event_id
      )
      AND o.stream_ordering < (
        SELECT max(m.stream_ordering) FROM federation_outbox_pdus m
        WHERE m.destination = o.destination AND m.room_id = o.room_id
      )
      AND NOT (o.stream_ordering = ANY(${keep.map(String)}::bigint[]))
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function insertOutboxEdu(
  db: Db,
  destination: string,
  eduType: string,
  content: string,
  now: number,
): Promise<void> {
  await db
    .insertInto("federation_outbox_edus")
    .values({ destination, edu_type: eduType, content, created_ts: now })
    .execute();
}

/** PDUs waiting per destination (for the metrics gauge). */
export async function pendingPduCounts(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("federation_outbox_pdus")
    .select(["destination", (eb) => eb.fn.countAll<string>().as("n")])
    .groupBy("destination")
    .execute();
  return new Map(rows.map((r) => [r.destination, Number(r.n)]));
}
