import { sql, type RawBuilder } from "kysely";
import { splitStateTupleKey, stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";

export interface CurrentMembershipRow {
  userId: string;
  membership: string;
  eventId: string;
  streamOrdering: number | null;
}

export interface MembershipHistoryRow {
  eventId: string;
  userId: string;
  sender: string;
  membership: string;
  streamOrdering: number | null;
}

/** An accepted event's effects on the room's current state (see `applyRoomStateChanges`). */
export interface RoomStateChanges {
  /** Current state entries: an event id sets the entry, null removes it. */
  changes: ReadonlyMap<StateTupleKey, string | null>;
  memberships: { set: readonly CurrentMembershipRow[]; removed: readonly string[] };
  history: MembershipHistoryRow | undefined;
}

/**
 * The data-modifying CTEs (each on different rows) that apply `c`: current state entries, current
 * memberships (a new membership clears `forgotten`: forgetting is about the room as the user last left
 * it, and re-joining or a new invite brings it back) and the membership history row of a member event.
 * Undefined when there is nothing to write. Another statement (an event's insert) may carry them.
 */
export function roomStateChangesCtes(roomId: string, c: RoomStateChanges): RawBuilder<unknown> | undefined {
  const { changes, memberships, history } = c;
  if (
    changes.size === 0 &&
    memberships.set.length === 0 &&
    memberships.removed.length === 0 &&
    history === undefined
  ) {
    return undefined;
  }
  const del: [string[], string[]] = [[], []];
  const set: [string[], string[], string[]] = [[], [], []];
  for (const [key, eventId] of changes) {
    const [type, stateKey] = splitStateTupleKey(key);
    if (eventId === null) {
      del[0].push(type);
      del[1].push(stateKey);
    } else {
      set[0].push(type);
      set[1].push(stateKey);
      set[2].push(eventId);
    }
  }
  const m = memberships.set;
  const h = history ? [history] : [];
  return sql`removed_state AS (
      DELETE FROM current_state c
      USING unnest(${del[0]}::text[], ${del[1]}::text[]) AS d(type, state_key)
      WHERE c.room_id = ${roomId} AND c.type = d.type AND c.state_key = d.state_key
    ), set_state AS (
      INSERT INTO current_state (room_id, type, state_key, event_id)
      SELECT ${roomId}, t, k, e FROM unnest(${set[0]}::text[], ${set[1]}::text[], ${set[2]}::text[]) AS x(t, k, e)
      ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id
    ), removed_members AS (
      DELETE FROM current_memberships
      WHERE room_id = ${roomId} AND user_id = ANY(${[...memberships.removed]}::text[])
    ), set_members AS (
      INSERT INTO current_memberships (room_id, user_id, membership, event_id, stream_ordering, forgotten)
      SELECT ${roomId}, u, ms, e, s, false
      FROM unnest(
        ${m.map((r) => r.userId)}::text[], ${m.map((r) => r.membership)}::text[],
        ${m.map((r) => r.eventId)}::text[], ${m.map((r) => r.streamOrdering)}::bigint[]
      ) AS x(u, ms, e, s)
      ON CONFLICT (room_id, user_id) DO UPDATE SET
        membership = excluded.membership, event_id = excluded.event_id,
        stream_ordering = excluded.stream_ordering, forgotten = false
    ), membership_history AS (
      INSERT INTO room_memberships (event_id, room_id, user_id, sender, membership, stream_ordering)
      SELECT e, ${roomId}, u, snd, ms, s
      FROM unnest(
        ${h.map((r) => r.eventId)}::text[], ${h.map((r) => r.userId)}::text[], ${h.map((r) => r.sender)}::text[],
        ${h.map((r) => r.membership)}::text[], ${h.map((r) => r.streamOrdering)}::bigint[]
      ) AS x(e, u, snd, ms, s)
      ON CONFLICT (event_id) DO NOTHING
    )`;
}

/** Applies an accepted event's effects on the room's current state in one statement; no round trip when there are none. */
export async function applyRoomStateChanges(tx: Db, roomId: string, c: RoomStateChanges): Promise<void> {
  const ctes = roomStateChangesCtes(roomId, c);
  if (ctes) await sql`WITH ${ctes} SELECT 1`.execute(tx);
}

/** Current state entries for just these keys (the writer rarely needs the whole state). */
export async function getCurrentStateIdsFor(
  db: Db,
  roomId: string,
  keys: readonly StateTupleKey[],
): Promise<Map<StateTupleKey, string>> {
  const out = new Map<StateTupleKey, string>();
  if (keys.length === 0) return out;
  const pairs = keys.map(splitStateTupleKey);
  const rows = await db
    .selectFrom("current_state")
    .select(["type", "state_key", "event_id"])
    .where("room_id", "=", roomId)
    .where((eb) =>
      eb.or(pairs.map(([type, stateKey]) => eb.and([eb("type", "=", type), eb("state_key", "=", stateKey)]))),
    )
    .execute();
  for (const r of rows) out.set(stateTupleKey(r.type, r.state_key), r.event_id);
  return out;
}
