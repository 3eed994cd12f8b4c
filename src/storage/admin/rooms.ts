import { sql, type RawBuilder } from "kysely";
import type { Db } from "../database.ts";

/** A room as the admin API lists it (Synapse's room object). */
export interface AdminRoomRow {
  roomId: string;
  name: string | null;
  topic: string | null;
  avatar: string | null;
  canonicalAlias: string | null;
  joinedMembers: number;
  joinedLocalMembers: number;
  version: string;
  creator: string | null;
  encryption: string | null;
  federatable: boolean;
  public: boolean;
  joinRules: string | null;
  guestAccess: string | null;
  historyVisibility: string | null;
  stateEvents: number;
  roomType: string | null;
  tombstonedTo: string | null;
  tombstoned: boolean;
}

export type RoomOrder =
  | "name"
  | "canonical_alias"
  | "joined_members"
  | "joined_local_members"
  | "version"
  | "creator"
  | "encryption"
  | "federatable"
  | "public"
  | "join_rules"
  | "guest_access"
  | "history_visibility"
  | "state_events";

export interface RoomQuery {
  searchTerm?: string;
  publicRooms?: boolean;
  emptyRooms?: boolean;
  orderBy: RoomOrder;
  backwards: boolean;
  from: number;
  limit: number;
}

/** A content field of the room's current state event (state key ""), as text. */
const stateText = (type: string, field: string): RawBuilder<string | null> =>
  sql`(SELECT (e.pdu::jsonb) -> 'content' ->> ${field} FROM current_state cs JOIN events e ON e.event_id = cs.event_id
       WHERE cs.room_id = r.room_id AND cs.type = ${type} AND cs.state_key = '')`;

/** Every field of the room object, computed from the rooms row and current state. */
function roomSelect(serverName: string): RawBuilder<unknown> {
  return sql`
    SELECT r.room_id, r.room_version, r.creator, r.is_public,
      ${stateText("m.room.name", "name")} AS name,
      ${stateText("m.room.topic", "topic")} AS topic,
      ${stateText("m.room.avatar", "url")} AS avatar,
      ${stateText("m.room.canonical_alias", "alias")} AS canonical_alias,
      ${stateText("m.room.encryption", "algorithm")} AS encryption,
      ${stateText("m.room.join_rules", "join_rule")} AS join_rules,
      ${stateText("m.room.guest_access", "guest_access")} AS guest_access,
      ${stateText("m.room.history_visibility", "history_visibility")} AS history_visibility,
      ${stateText("m.room.create", "type")} AS room_type,
      ${stateText("m.room.create", "m.federate")} AS federate,
      ${stateText("m.room.tombstone", "replacement_room")} AS replacement_room,
      EXISTS (SELECT 1 FROM current_state cs WHERE cs.room_id = r.room_id AND cs.type = 'm.room.tombstone'
              AND cs.state_key = '') AS tombstoned,
      (SELECT count(*) FROM current_memberships m WHERE m.room_id = r.room_id AND m.membership = 'join')
        AS joined_members,
      (SELECT count(*) FROM current_memberships m WHERE m.room_id = r.room_id AND m.membership = 'join'
        AND m.user_id LIKE ${`%:${serverName.replace(/[\\%_]/g, (ch) => `\\${ch}`)}`}) AS joined_local_members,
      (SELECT count(*) FROM current_state cs WHERE cs.room_id = r.room_id) AS state_events
    FROM rooms r`;
}

interface RawRoom {
  room_id: string;
  room_version: string;
  creator: string | null;
  is_public: boolean;
  name: string | null;
  topic: string | null;
  avatar: string | null;
  canonical_alias: string | null;
  encryption: string | null;
  join_rules: string | null;
  guest_access: string | null;
  history_visibility: string | null;
  room_type: string | null;
  federate: string | null;
  replacement_room: string | null;
  tombstoned: boolean;
  joined_members: string;
  joined_local_members: string;
  state_events: string;
  total?: string;
}

function toRoom(r: RawRoom): AdminRoomRow {
  return {
    roomId: r.room_id,
    name: r.name,
    topic: r.topic,
    avatar: r.avatar,
    canonicalAlias: r.canonical_alias,
    joinedMembers: Number(r.joined_members),
    joinedLocalMembers: Number(r.joined_local_members),
    version: r.room_version,
    creator: r.creator,
    encryption: r.encryption,
    // m.federate is a boolean in content; ->> renders it as text.
    federatable: r.federate !== "false",
    public: r.is_public,
    joinRules: r.join_rules,
    guestAccess: r.guest_access,
    historyVisibility: r.history_visibility,
    stateEvents: Number(r.state_events),
    roomType: r.room_type,
    tombstoned: r.tombstoned,
    tombstonedTo: r.replacement_room,
  };
}

/** Sort keys; the numeric ones sort largest first, as Synapse does. */
const ORDER: Record<RoomOrder, { column: RawBuilder<unknown>; largestFirst: boolean }> = {
  name: { column: sql`x.name`, largestFirst: false },
  canonical_alias: { column: sql`x.canonical_alias`, largestFirst: false },
  joined_members: { column: sql`x.joined_members`, largestFirst: true },
  joined_local_members: { column: sql`x.joined_local_members`, largestFirst: true },
  version: { column: sql`x.room_version`, largestFirst: true },
  creator: { column: sql`x.creator`, largestFirst: false },
  encryption: { column: sql`x.encryption`, largestFirst: false },
  federatable: { column: sql`(x.federate IS DISTINCT FROM 'false')`, largestFirst: true },
  public: { column: sql`x.is_public`, largestFirst: true },
  join_rules: { column: sql`x.join_rules`, largestFirst: false },
  guest_access: { column: sql`x.guest_access`, largestFirst: false },
  history_visibility: { column: sql`x.history_visibility`, largestFirst: false },
  state_events: { column: sql`x.state_events`, largestFirst: true },
};

export async function listRooms(
  db: Db,
  serverName: string,
  q: RoomQuery,
): Promise<{ rooms: AdminRoomRow[]; total: number }> {
  const conds: RawBuilder<unknown>[] = [sql`true`];
  if (q.searchTerm !== undefined) {
    const pattern = `%${q.searchTerm.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    conds.push(sql`(lower(x.name) LIKE lower(${pattern})
      OR lower(split_part(substr(x.canonical_alias, 2), ':', 1)) LIKE lower(${pattern})
      OR x.room_id LIKE ${pattern})`);
  }
  if (q.publicRooms !== undefined) conds.push(sql`x.is_public = ${q.publicRooms}`);
  if (q.emptyRooms !== undefined) {
    conds.push(q.emptyRooms ? sql`x.joined_members = 0` : sql`x.joined_members > 0`);
  }
  const order = ORDER[q.orderBy];
  const descending = order.largestFirst !== q.backwards;
  const dir = descending ? sql`DESC` : sql`ASC`;
  const result = await sql<RawRoom>`
    SELECT x.*, count(*) OVER () AS total FROM (${roomSelect(serverName)}) x
    WHERE ${sql.join(conds, sql` AND `)}
    ORDER BY ${order.column} ${dir} NULLS LAST, x.room_id ${dir}
    OFFSET ${q.from} LIMIT ${q.limit}
  `.execute(db);
  let total = Number(result.rows[0]?.total ?? 0);
  if (result.rows.length === 0 && q.from > 0) {
    // Past the end the window has no row to count on.
    const count = await sql<{ n: string }>`
      SELECT count(*) AS n FROM (${roomSelect(serverName)}) x WHERE ${sql.join(conds, sql` AND `)}
    `.execute(db);
    total = Number(count.rows[0]?.n ?? 0);
  }
  return { rooms: result.rows.map(toRoom), total };
}

export async function getAdminRoom(
  db: Db,
  serverName: string,
  roomId: string,
): Promise<AdminRoomRow | undefined> {
  const result =
    await sql<RawRoom>`SELECT x.* FROM (${roomSelect(serverName)}) x WHERE x.room_id = ${roomId}`.execute(db);
  const row = result.rows[0];
  return row && toRoom(row);
}

/** Whether every local member who ever was in the room has forgotten it (Synapse's `forgotten`). */
export async function roomForgottenByAllLocals(db: Db, serverName: string, roomId: string): Promise<boolean> {
  const result = await sql<{ any_local: boolean; all_forgotten: boolean }>`
    SELECT count(*) > 0 AS any_local, coalesce(bool_and(forgotten), false) AS all_forgotten
    FROM current_memberships WHERE room_id = ${roomId} AND user_id LIKE ${`%:${serverName}`}
  `.execute(db);
  const row = result.rows[0];
  return row !== undefined && row.any_local && row.all_forgotten;
}

/** Local devices of local joined members (the room details' joined_local_devices). */
export async function joinedLocalDevices(db: Db, serverName: string, roomId: string): Promise<number> {
  const result = await sql<{ n: string }>`
    SELECT count(*) AS n FROM devices d JOIN current_memberships m ON m.user_id = d.user_id
    WHERE m.room_id = ${roomId} AND m.membership = 'join' AND m.user_id LIKE ${`%:${serverName}`}
  `.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}
