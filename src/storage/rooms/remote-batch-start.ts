import { sql, type Selectable } from "kysely";
import type { Db } from "../database.ts";
import type { EventsTable } from "../schema.ts";
import { citedOrRedacted } from "./event-writes.ts";
import { storedEventFromRow, type StoredEvent } from "./events.ts";
import { anyRedacted, extremitiesOf } from "./room-lock.ts";

/** What a batch of received events reads first under the room lock. */
export interface RemoteBatchStart {
  /** The stored events among those asked for. */
  events: Map<string, StoredEvent>;
  /** Of the batch's own events, those stored events already cite or redact. */
  flagged: Set<string>;
  /** The room's forward extremities, deepest (then most recent) first. */
  extremities: string[];
  /** Whether any of the `watched` events has been redacted. */
  watchedRedacted: boolean;
}

/**
 * The events a batch needs (its own, their auth and prev events), which of its own events are already
 * cited or redacted, the extremities and whether cached events were redacted: one round trip. Must
 * run after the room lock is taken, in a statement of its own (see `readWriteSnapshot`).
 */
export async function readRemoteBatchStart(
  tx: Db,
  roomId: string,
  eventIds: readonly string[],
  own: readonly string[],
  watched: readonly string[],
): Promise<RemoteBatchStart> {
  const result = await sql<
    Selectable<EventsTable> & { x_extremities: string[]; x_watched: boolean; x_flagged: string[] }
  >`
    SELECT s.x_extremities, s.x_watched, s.x_flagged, e.*
    FROM (
      SELECT ${extremitiesOf(roomId)} AS x_extremities, ${anyRedacted(watched)} AS x_watched,
        ARRAY(${citedOrRedacted(own)}) AS x_flagged
    ) AS s
    LEFT JOIN LATERAL (
      SELECT * FROM events WHERE event_id = ANY(${[...new Set(eventIds)]}::text[]) OFFSET 0
    ) e ON true
  `.execute(tx);
  const first = result.rows[0]!;
  const events = new Map<string, StoredEvent>();
  // With none of the events stored, the one row carries only the other columns.
  for (const row of result.rows) if (row.event_id !== null) events.set(row.event_id, storedEventFromRow(row));
  return {
    events,
    flagged: new Set(first.x_flagged),
    extremities: first.x_extremities,
    watchedRedacted: first.x_watched,
  };
}
