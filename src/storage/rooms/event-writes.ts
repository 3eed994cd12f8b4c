import { sql, type RawBuilder } from "kysely";
import type { Db } from "../database.ts";
import { anyRedacted, extremitiesOf } from "./room-lock.ts";
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
  /**
   * Forward extremity changes to make in the same statement: cited ones go, `added` joins (with
   * `unlessCited`, only when no stored event cites it as a prev event already).
   */
  extremities?: { cited: readonly string[]; added: string | undefined; unlessCited?: boolean };
  /**
   * Also report, from the same statement, whether stored events cite this one as a prev event and
   * which stored redactions name it: for events that may arrive after their successors (federation).
   */
  probeLaterEvents?: boolean;
  /** Current state changes to apply in the same statement (`roomStateChangesCtes`). */
  stateChanges?: RawBuilder<unknown>;
  /** Servers to queue the event for in the same statement (federation outbox rows). */
  outbox?: readonly string[];
  /** The client transaction that sent the event, recorded in the same statement. */
  txn?: { scope: TxnScope; requestHash: Buffer };
}

/**
 * Preconditions for an insert built on cached knowledge, checked by the insert statement itself (which
 * runs after the room lock was taken, so its snapshot sees every earlier write): the forward
 * extremities are still exactly these (same order), the client transaction is unused, and none of the
 * `watched` events has been redacted. When one fails, the statement writes nothing.
 */
export interface InsertGuard {
  extremities: readonly string[];
  watched: readonly string[];
  /**
   * For a statement run on its own, outside a transaction holding the room's lock: the lock's key
   * (`roomLockKey`), taken with a try in the statement; held elsewhere, the guard fails.
   */
  lockKey?: bigint;
}

/** The events table's columns, in the order `eventValues` gives a row's values. */
const EVENT_COLUMNS = sql`event_id, room_id, stream_ordering, topological_ordering, type, state_key, sender,
  origin_server_ts, pdu, outlier, rejected_reason, soft_failed, state_group_before, state_group_after,
  relates_to_id, relation_type, redacts, created_ts`;

function eventValues(ev: NewEventRow): RawBuilder<unknown> {
  return sql`${ev.eventId}::text, ${ev.roomId}::text, ${ev.streamOrdering}::bigint, ${ev.depth}::bigint,
    ${ev.type}::text, ${ev.stateKey ?? null}::text, ${ev.sender}::text, ${ev.originServerTs}::bigint,
    ${ev.pdu}::text, ${ev.outlier}::boolean, ${ev.rejectedReason}::text, ${ev.softFailed}::boolean,
    ${ev.stateGroupBefore}::bigint, ${ev.stateGroupAfter}::bigint, ${ev.relatesToId}::text,
    ${ev.relationType}::text, ${ev.redacts}::text, ${ev.createdTs}::bigint`;
}

/** The client transaction is not recorded yet (true without one). */
function txnUnused(t: NewEventRow["txn"]): RawBuilder<boolean> {
  return sql<boolean>`NOT EXISTS (
    SELECT 1 FROM event_txn_ids
    WHERE user_id = ${t?.scope.userId ?? null} AND device_id = ${t?.scope.deviceId ?? null}
    AND endpoint = ${t?.scope.endpoint ?? null} AND txn_id = ${t?.scope.txnId ?? null}
  )`;
}

/** The room-level part of an InsertGuard, as a condition: lock taken, extremities as given, none of `watched` redacted. */
function guardHolds(roomId: string, guard: InsertGuard): RawBuilder<boolean> {
  const lock =
    guard.lockKey === undefined
      ? sql``
      : sql`pg_try_advisory_xact_lock(${guard.lockKey.toString()}::bigint) AND `;
  return sql<boolean>`${lock}${extremitiesOf(roomId)} = ${[...guard.extremities]}::text[]
    AND NOT ${anyRedacted(guard.watched)}`;
}

/** A single event's guard: the room-level part, and its client transaction unused. */
function eventGuard(ev: NewEventRow, guard: InsertGuard): RawBuilder<boolean> {
  return sql<boolean>`${guardHolds(ev.roomId, guard)} AND ${txnUnused(ev.txn)}`;
}

/**
 * What an event row's insert writes besides the row, as data-modifying CTEs named with `suffix`, each
 * only where `ok`: its prev and auth edges, and where the row asks, its forward extremity changes,
 * client transaction and outbox rows.
 */
function rowWriteCtes(ev: NewEventRow, ok: RawBuilder<unknown>, suffix = ""): RawBuilder<unknown> {
  const name = (n: string) => sql.raw(`${n}${suffix}`);
  const ctes = [
    sql`${name("prev_edges")} AS (
      INSERT INTO event_edges (event_id, prev_event_id)
      SELECT ${ev.eventId}, unnest(${[...new Set(ev.prevEventIds)]}::text[]) WHERE ${ok}
    )`,
    sql`${name("auth_edges")} AS (
      INSERT INTO event_auth_edges (event_id, auth_event_id)
      SELECT ${ev.eventId}, unnest(${[...new Set(ev.authEventIds)]}::text[]) WHERE ${ok}
    )`,
  ];
  const x = ev.extremities;
  if (x) {
    ctes.push(
      sql`${name("removed_extremities")} AS (
        DELETE FROM forward_extremities
        WHERE room_id = ${ev.roomId} AND event_id = ANY(${[...x.cited]}::text[]) AND ${ok}
      )`,
      sql`${name("added_extremities")} AS (
        INSERT INTO forward_extremities (room_id, event_id)
        SELECT ${ev.roomId}, e FROM unnest(${x.added === undefined ? [] : [x.added]}::text[]) AS e WHERE ${ok}
        ${x.unlessCited ? sql`AND NOT EXISTS (SELECT 1 FROM event_edges WHERE prev_event_id = e)` : sql``}
        ON CONFLICT (room_id, event_id) DO NOTHING
      )`,
    );
  }
  const t = ev.txn;
  if (t) {
    ctes.push(sql`${name("txn")} AS (
      INSERT INTO event_txn_ids (user_id, device_id, endpoint, txn_id, event_id, request_hash, created_ts)
      SELECT ${t.scope.userId}::text, ${t.scope.deviceId}::text, ${t.scope.endpoint}::text,
        ${t.scope.txnId}::text, ${ev.eventId}::text, ${t.requestHash}::bytea, ${ev.createdTs}::bigint
      WHERE ${ok}
    )`);
  }
  if (ev.outbox && ev.outbox.length > 0 && ev.streamOrdering !== null) {
    ctes.push(sql`${name("outbox")} AS (
      INSERT INTO federation_outbox_pdus (destination, stream_ordering, room_id, event_id)
      SELECT d, ${ev.streamOrdering}::bigint, ${ev.roomId}::text, ${ev.eventId}::text
      FROM unnest(${[...ev.outbox]}::text[]) AS d WHERE ${ok}
      ON CONFLICT DO NOTHING
    )`);
  }
  return sql.join(ctes, sql`, `);
}

/** What the insert statement found stored before it (see `NewEventRow.probeLaterEvents`). */
export interface InsertedEvent {
  /** A stored event cites it as a prev event. */
  cited: boolean;
  /** Unrejected redactions naming it, oldest first. */
  redactions: string[];
}

/**
 * Inserts the event row with its prev and auth edges, and optionally the forward extremity changes and
 * the client transaction, in one statement (data-modifying CTEs; no constraint ties these tables to
 * each other, so the order inside the statement does not matter, and every part sees the database as
 * it was before the statement): one round trip instead of five on the path every message takes.
 * Undefined when a `guard` failed and nothing was written.
 */
export async function insertEvent(
  tx: Db,
  ev: NewEventRow,
  guard?: InsertGuard,
): Promise<InsertedEvent | undefined> {
  const guardCte = guard ? sql`guard AS (SELECT ${eventGuard(ev, guard)} AS ok), ` : sql``;
  const ok = guard ? sql`(SELECT ok FROM guard)` : sql`true`;
  const probes = ev.probeLaterEvents
    ? sql`,
      EXISTS (SELECT 1 FROM event_edges WHERE prev_event_id = ${ev.eventId}) AS cited,
      ARRAY(
        SELECT r.event_id FROM events r
        WHERE r.redacts = ${ev.eventId} AND r.type = 'm.room.redaction' AND r.rejected_reason IS NULL
        ORDER BY r.stream_ordering
      ) AS redactions`
    : sql``;
  const result = await sql<{ event_id: string; cited?: boolean; redactions?: string[] }>`
    WITH ${guardCte}${rowWriteCtes(ev, ok)}${ev.stateChanges ? sql`, ${ev.stateChanges}` : sql``}
    INSERT INTO events (${EVENT_COLUMNS})
    SELECT ${eventValues(ev)}
    WHERE ${ok}
    RETURNING event_id${probes}
  `.execute(tx);
  const row = result.rows[0];
  if (!row) return undefined;
  return { cited: row.cited ?? false, redactions: row.redactions ?? [] };
}

/** A guarded insert that can share a statement with others (see insertGuardedEvents). */
export function canShareStatement(ev: NewEventRow, guard: InsertGuard): boolean {
  return (
    guard.lockKey !== undefined && !ev.stateChanges && !ev.probeLaterEvents && !ev.extremities?.unlessCited
  );
}

/**
 * Guarded inserts of events of different rooms (each as insertEvent with its guard, which must take
 * its room's lock with a try: `canShareStatement`) in one statement, each judged by its own guard: a
 * failed guard writes nothing of its event and leaves the others alone. One commit and one round
 * trip for several rooms' messages. Answers in order: undefined where the guard failed.
 */
export async function insertGuardedEvents(
  db: Db,
  items: readonly { ev: NewEventRow; guard: InsertGuard }[],
): Promise<(InsertedEvent | undefined)[]> {
  if (items.length === 1) return [await insertEvent(db, items[0]!.ev, items[0]!.guard)];
  const parts = items.map(({ ev, guard }, i) => {
    const ok = sql`(SELECT ok FROM ${sql.raw(`guard_${i}`)})`;
    return sql`${sql.raw(`guard_${i}`)} AS (SELECT ${eventGuard(ev, guard)} AS ok),
      ${rowWriteCtes(ev, ok, `_${i}`)},
      ${sql.raw(`ev_${i}`)} AS (
        INSERT INTO events (${EVENT_COLUMNS})
        SELECT ${eventValues(ev)}
        WHERE ${ok}
        RETURNING event_id
      )`;
  });
  const answers = sql.join(
    items.map((_, i) => sql`SELECT ${i}::int AS i FROM ${sql.raw(`ev_${i}`)}`),
    sql` UNION ALL `,
  );
  const result = await sql<{ i: number }>`WITH ${sql.join(parts, sql`, `)} ${answers}`.execute(db);
  const written = new Set(result.rows.map((r) => Number(r.i)));
  return items.map((_, i) => (written.has(i) ? { cited: false, redactions: [] } : undefined));
}

/**
 * Inserts events of one room with their prev and auth edges in one statement, and applies their
 * forward extremity changes taken together (`removed` go, `added` join): for a run of events that no
 * stored event cites or redacts (the caller has made sure), so nothing needs to be reported back.
 * With a `guard` (a run built on cached knowledge, outside the room's transaction), the statement
 * also checks that none of the events is stored yet nor cited or redacted by a stored event, and
 * writes nothing (false) when any of the guard's conditions fails.
 */
export async function insertEventRun(
  tx: Db,
  roomId: string,
  rows: readonly NewEventRow[],
  extremities: { removed: readonly string[]; added: readonly string[] },
  guard?: InsertGuard,
): Promise<boolean> {
  if (rows.length === 0) return true;
  const edges: [string[], string[]] = [[], []];
  const authEdges: [string[], string[]] = [[], []];
  for (const r of rows) {
    for (const id of new Set(r.prevEventIds)) {
      edges[0].push(r.eventId);
      edges[1].push(id);
    }
    for (const id of new Set(r.authEventIds)) {
      authEdges[0].push(r.eventId);
      authEdges[1].push(id);
    }
  }
  const col = <T>(f: (r: NewEventRow) => T): T[] => rows.map(f);
  const ids = col((r) => r.eventId);
  const guardCte = guard
    ? sql`guard AS (
        SELECT ${guardHolds(roomId, guard)}
        AND NOT EXISTS (SELECT 1 FROM events WHERE event_id = ANY(${ids}::text[]))
        AND NOT EXISTS (${citedOrRedacted(ids)}) AS ok
      ), `
    : sql``;
  const ok = guard ? sql`(SELECT ok FROM guard)` : sql`true`;
  const result = await sql<{ event_id: string }>`
    WITH ${guardCte}prev_edges AS (
      INSERT INTO event_edges (event_id, prev_event_id)
      SELECT * FROM unnest(${edges[0]}::text[], ${edges[1]}::text[]) WHERE ${ok}
    ), auth_edges AS (
      INSERT INTO event_auth_edges (event_id, auth_event_id)
      SELECT * FROM unnest(${authEdges[0]}::text[], ${authEdges[1]}::text[]) WHERE ${ok}
    ), removed_extremities AS (
      DELETE FROM forward_extremities
      WHERE room_id = ${roomId} AND event_id = ANY(${[...extremities.removed]}::text[]) AND ${ok}
    ), added_extremities AS (
      INSERT INTO forward_extremities (room_id, event_id)
      SELECT ${roomId}, e FROM unnest(${[...extremities.added]}::text[]) AS e WHERE ${ok}
      ON CONFLICT (room_id, event_id) DO NOTHING
    )
    INSERT INTO events (${EVENT_COLUMNS})
    SELECT * FROM unnest(
      ${ids}::text[], ${col((r) => r.roomId)}::text[],
      ${col((r) => r.streamOrdering)}::bigint[], ${col((r) => r.depth)}::bigint[],
      ${col((r) => r.type)}::text[], ${col((r) => r.stateKey ?? null)}::text[],
      ${col((r) => r.sender)}::text[], ${col((r) => r.originServerTs)}::bigint[],
      ${col((r) => r.pdu)}::text[], ${col((r) => r.outlier)}::boolean[],
      ${col((r) => r.rejectedReason)}::text[], ${col((r) => r.softFailed)}::boolean[],
      ${col((r) => r.stateGroupBefore)}::bigint[], ${col((r) => r.stateGroupAfter)}::bigint[],
      ${col((r) => r.relatesToId)}::text[], ${col((r) => r.relationType)}::text[],
      ${col((r) => r.redacts)}::text[], ${col((r) => r.createdTs)}::bigint[]
    ) WHERE ${ok}
    ${guard ? sql`RETURNING event_id` : sql``}
  `.execute(tx);
  return !guard || result.rows.length === rows.length;
}

/**
 * Of `eventIds`, those a stored event cites as a prev event or an unrejected stored redaction names,
 * as a subquery of ids.
 */
export function citedOrRedacted(eventIds: readonly string[]): RawBuilder<{ id: string }> {
  const ids = [...eventIds];
  return sql<{ id: string }>`
    SELECT prev_event_id AS id FROM event_edges WHERE prev_event_id = ANY(${ids}::text[])
    UNION
    SELECT redacts AS id FROM events
    WHERE redacts = ANY(${ids}::text[]) AND type = 'm.room.redaction' AND rejected_reason IS NULL
  `;
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
