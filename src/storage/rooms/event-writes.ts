import { sql } from "kysely";
import type { Db } from "../database.ts";
import type { TxnScope } from "./txn-ids.ts";

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
  /** Forward extremity changes to make in the same statement: cited ones go, `added` joins. */
  extremities?: { cited: readonly string[]; added: string | undefined };
  /** The client transaction that sent the event, recorded in the same statement. */
  txn?: { scope: TxnScope; requestHash: Buffer };
}

/**
 * Inserts the event row with its prev and auth edges, and optionally the forward extremity changes and
 * the client transaction, in one statement (data-modifying CTEs; no constraint ties these tables to
 * each other, so the order inside the statement does not matter): one round trip instead of five on
 * the path every message takes.
 */
export async function insertEvent(tx: Db, ev: NewEventRow): Promise<void> {
  const prevs = [...new Set(ev.prevEventIds)];
  const auths = [...new Set(ev.authEventIds)];
  const x = ev.extremities;
  const extremities = x
    ? sql`, removed_extremities AS (
        DELETE FROM forward_extremities WHERE room_id = ${ev.roomId} AND event_id = ANY(${[...x.cited]}::text[])
      ), added_extremities AS (
        INSERT INTO forward_extremities (room_id, event_id)
        SELECT ${ev.roomId}, e FROM unnest(${x.added === undefined ? [] : [x.added]}::text[]) AS e
        ON CONFLICT (room_id, event_id) DO NOTHING
      )`
    : sql``;
  const t = ev.txn;
  const txn = t
    ? sql`, txn AS (
        INSERT INTO event_txn_ids (user_id, device_id, endpoint, txn_id, event_id, request_hash, created_ts)
        VALUES (${t.scope.userId}, ${t.scope.deviceId}, ${t.scope.endpoint}, ${t.scope.txnId}, ${ev.eventId},
          ${t.requestHash}, ${ev.createdTs})
      )`
    : sql``;
  await sql`
    WITH prev_edges AS (
      INSERT INTO event_edges (event_id, prev_event_id) SELECT ${ev.eventId}, unnest(${prevs}::text[])
    ), auth_edges AS (
      INSERT INTO event_auth_edges (event_id, auth_event_id) SELECT ${ev.eventId}, unnest(${auths}::text[])
    )${extremities}${txn}
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
