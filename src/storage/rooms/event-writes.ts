import { sql } from "kysely";
import type { Db } from "../database.ts";

export interface NewEventRow {
  eventId: string;
  roomId: string;
  streamOrdering: number | null;
  depth: number;
  type: string;
  stateKey: string | undefined;
  sender: string;
  originServerTs: number;
  /** The PDU as stored (canonical JSON text). */
  pdu: string;
  outlier: boolean;
  rejectedReason: string | null;
  softFailed: boolean;
  stateGroupBefore: number | null;
  stateGroupAfter: number | null;
  relatesToId: string | null;
  relationType: string | null;
  redacts: string | null;
  prevEventIds: readonly string[];
  authEventIds: readonly string[];
  createdTs: number;
}

/**
 * Inserts the event row with its prev and auth edges, in one statement (data-modifying CTEs): one
 * round trip instead of three on the path every message takes.
 */
export async function insertEvent(tx: Db, ev: NewEventRow): Promise<void> {
  const prevs = [...new Set(ev.prevEventIds)];
  const auths = [...new Set(ev.authEventIds)];
  await sql`
    WITH prev_edges AS (
      INSERT INTO event_edges (event_id, prev_event_id) SELECT ${ev.eventId}, unnest(${prevs}::text[])
    ), auth_edges AS (
      INSERT INTO event_auth_edges (event_id, auth_event_id) SELECT ${ev.eventId}, unnest(${auths}::text[])
    )
    INSERT INTO events (
      event_id, room_id, stream_ordering, topological_ordering, type, state_key, sender, origin_server_ts,
      pdu, outlier, rejected_reason, soft_failed, state_group_before, state_group_after, relates_to_id,
      relation_type, redacts, created_ts
    ) VALUES (
      ${ev.eventId}, ${ev.roomId}, ${ev.streamOrdering}, ${ev.depth}, ${ev.type}, ${ev.stateKey ?? null},
      ${ev.sender}, ${ev.originServerTs}, ${ev.pdu}, ${ev.outlier}, ${ev.rejectedReason}, ${ev.softFailed},
      ${ev.stateGroupBefore}, ${ev.stateGroupAfter}, ${ev.relatesToId}, ${ev.relationType}, ${ev.redacts},
      ${ev.createdTs}
    )
  `.execute(tx);
}

/** Whether the event is stored at all (any status). */
export async function eventExists(db: Db, eventId: string): Promise<boolean> {
  const row = await db
    .selectFrom("events")
    .select("event_id")
    .where("event_id", "=", eventId)
    .executeTakeFirst();
  return row !== undefined;
}
