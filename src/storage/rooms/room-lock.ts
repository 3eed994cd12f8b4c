import { createHash } from "node:crypto";
import { sql, type RawBuilder } from "kysely";
import type { IdentifiedPdu } from "../../core/pdu.ts";
import { splitStateTupleKey, stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";
import { parseStoredPdu } from "./events.ts";
import type { TxnScope } from "./txn-ids.ts";

/**
 * The room's advisory lock key: 64 bits of SHA-256 of the schema and the room id, computed here so
 * that it can be written into the statement as a plain integer (see `beginRoomWrite`). Advisory locks
 * are database-wide, and homeservers sharing a database in schemas of their own (tests; co-hosted
 * instances) hold the same federated rooms: with the room id alone, one server's write would wait on
 * another's, and a server waiting for a remote answer while holding its lock could deadlock the other.
 * Collisions only make two rooms wait for each other, never break correctness.
 */
export function roomLockKey(schema: string, roomId: string): bigint {
  return createHash("sha256").update(`${schema}\u0000${roomId}`).digest().readBigInt64BE(0);
}

/**
 * Opens the write transaction on `conn` (a single pooled connection) and takes the room's write lock
 * for the rest of it, in one round trip: both statements go in one simple-protocol query, which is why
 * the key is an integer literal and never text. Processes sharing the database each serialise their
 * own writers in memory; this lock is what serialises them against each other.
 */
export async function beginRoomWrite(conn: Db, schema: string, roomId: string): Promise<void> {
  await sql
    .raw(`BEGIN; SELECT pg_advisory_xact_lock(${roomLockKey(schema, roomId).toString()})`)
    .execute(conn);
}

export async function commitRoomWrite(conn: Db): Promise<void> {
  await sql.raw("COMMIT").execute(conn);
}

export async function rollbackRoomWrite(conn: Db): Promise<void> {
  await sql.raw("ROLLBACK").execute(conn);
}

/** What a local writer must read first under the room lock, read in one round trip. */
export interface WriteSnapshot {
  /** The room's forward extremities, deepest (then most recent) first. */
  extremities: string[];
  /** The event an earlier request with the same transaction id created. */
  txn: { eventId: string; requestHash: Buffer } | undefined;
  /** Whether any of the `watched` events has been redacted (their stored PDU changed). */
  watchedRedacted: boolean;
  /** Current state at each of the requested keys: its event, or null when the room has none there. */
  state: Map<StateTupleKey, IdentifiedPdu | null>;
}

/** The room's forward extremities, deepest (then most recent) first, as an array expression. */
export function extremitiesOf(roomId: string): RawBuilder<string[]> {
  return sql<string[]>`ARRAY(
    SELECT f.event_id FROM forward_extremities f JOIN events e ON e.event_id = f.event_id
    WHERE f.room_id = ${roomId}
    ORDER BY e.topological_ordering DESC, e.stream_ordering DESC
  )`;
}

/** Whether any of the events has been redacted, as a boolean expression. */
export function anyRedacted(eventIds: readonly string[]): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (
    SELECT 1 FROM events WHERE event_id = ANY(${[...eventIds]}::text[]) AND redacted_by IS NOT NULL
  )`;
}

/**
 * Reads the forward extremities, the client transaction, whether cached events were redacted and the
 * current state at `keys` (with their events).
 * Must run after `beginRoomWrite`, in a statement of its own: in READ COMMITTED a statement's snapshot
 * is taken when it starts, so a read in the locking statement could miss a write committed while it
 * waited for the lock.
 */
export async function readWriteSnapshot(
  tx: Db,
  roomId: string,
  txn: TxnScope | undefined,
  watched: readonly string[],
  keys: readonly StateTupleKey[] = [],
): Promise<WriteSnapshot> {
  const pairs = keys.map(splitStateTupleKey);
  const result = await sql<{
    extremities: string[];
    watched_redacted: boolean;
    txn_event_id: string | null;
    txn_request_hash: Buffer | null;
    state_ids: string[] | null;
    state_types: string[] | null;
    state_keys: string[] | null;
    state_pdus: string[] | null;
  }>`
    SELECT
      ${extremitiesOf(roomId)} AS extremities,
      ${anyRedacted(watched)} AS watched_redacted,
      t.event_id AS txn_event_id,
      t.request_hash AS txn_request_hash,
      s.ids AS state_ids, s.types AS state_types, s.keys AS state_keys, s.pdus AS state_pdus
    FROM (SELECT 1) AS one
    LEFT JOIN event_txn_ids t
      ON t.user_id = ${txn?.userId ?? null} AND t.device_id = ${txn?.deviceId ?? null}
      AND t.endpoint = ${txn?.endpoint ?? null} AND t.txn_id = ${txn?.txnId ?? null}
    CROSS JOIN LATERAL (
      SELECT array_agg(c.event_id) AS ids, array_agg(c.type) AS types, array_agg(c.state_key) AS keys,
        array_agg(e.pdu) AS pdus
      FROM unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[]) AS k(type, state_key)
      -- Probed by key (OFFSET 0 keeps the subquery): joined, a generic plan reads the room's whole state.
      JOIN LATERAL (
        SELECT c.type, c.state_key, c.event_id FROM current_state c
        WHERE c.room_id = ${roomId} AND c.type = k.type AND c.state_key = k.state_key
        OFFSET 0
      ) c ON true
      JOIN LATERAL (SELECT e.pdu FROM events e WHERE e.event_id = c.event_id OFFSET 0) e ON true
    ) AS s
  `.execute(tx);
  const row = result.rows[0]!;
  const state = new Map<StateTupleKey, IdentifiedPdu | null>(keys.map((k) => [k, null]));
  const ids = row.state_ids ?? [];
  for (const [i, id] of ids.entries()) {
    state.set(
      stateTupleKey(row.state_types![i]!, row.state_keys![i]!),
      parseStoredPdu(id, row.state_pdus![i]!),
    );
  }
  return {
    extremities: row.extremities,
    watchedRedacted: row.watched_redacted,
    state,
    txn:
      row.txn_event_id === null || row.txn_request_hash === null
        ? undefined
        : { eventId: row.txn_event_id, requestHash: row.txn_request_hash },
  };
}
