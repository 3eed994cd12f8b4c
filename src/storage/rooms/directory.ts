import type { Db } from "../database.ts";

/**
 * Room directory reads and the directory's own writes (alias deletion, published flag). Neither is room
 * state: aliases live only in this server's table, and publication is a server-side listing. Creating
 * aliases goes through room-aliases.ts, which createRoom uses too.
 */

export interface AliasRow {
  alias: string;
  roomId: string;
  creator: string;
}

export async function getAlias(db: Db, alias: string): Promise<AliasRow | undefined> {
  const row = await db
    .selectFrom("room_aliases")
    .select(["room_alias", "room_id", "creator"])
    .where("room_alias", "=", alias)
    .executeTakeFirst();
  return row ? { alias: row.room_alias, roomId: row.room_id, creator: row.creator } : undefined;
}

/** The local aliases of a room, oldest first. */
export async function roomAliases(db: Db, roomId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("room_aliases")
    .select("room_alias")
    .where("room_id", "=", roomId)
    .orderBy("created_ts")
    .orderBy("room_alias")
    .execute();
  return rows.map((r) => r.room_alias);
}

/** Local aliases of many rooms (public room search matches them). */
export async function aliasesOfRooms(db: Db, roomIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (roomIds.length === 0) return out;
  const rows = await db
    .selectFrom("room_aliases")
    .select(["room_id", "room_alias"])
    .where("room_id", "in", [...new Set(roomIds)])
    .execute();
  for (const row of rows) out.set(row.room_id, [...(out.get(row.room_id) ?? []), row.room_alias]);
  return out;
}

export async function deleteAlias(db: Db, alias: string): Promise<boolean> {
  const res = await db.deleteFrom("room_aliases").where("room_alias", "=", alias).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Whether the room is known here, and if so whether it is published. */
export async function getRoomPublished(db: Db, roomId: string): Promise<boolean | undefined> {
  const row = await db
    .selectFrom("rooms")
    .select("is_public")
    .where("room_id", "=", roomId)
    .executeTakeFirst();
  return row?.is_public;
}

export async function setRoomPublished(db: Db, roomId: string, published: boolean): Promise<boolean> {
  const res = await db
    .updateTable("rooms")
    .set({ is_public: published })
    .where("room_id", "=", roomId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function publishedRoomIds(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("rooms").select("room_id").where("is_public", "=", true).execute();
  return rows.map((r) => r.room_id);
}

/** Server names of the room's joined members (for GET /directory/room: servers that can help join). */
export function joinedServers(db: Db, roomId: string): Promise<string[]> {
  // One query serves both: the database computes the distinct servers instead of sending every member.
  return joinedServersOfRoom(db, roomId);
}

/** Current state events of the given types for many rooms: room id → type → event id (state key ""). */
export async function currentStateOfTypes(
  db: Db,
  roomIds: readonly string[],
  types: readonly string[],
): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  if (roomIds.length === 0) return out;
  const rows = await db
    .selectFrom("current_state")
    .select(["room_id", "type", "event_id"])
    .where("room_id", "in", [...new Set(roomIds)])
    .where("type", "in", [...types])
    .where("state_key", "=", "")
    .execute();
  for (const row of rows) {
    let byType = out.get(row.room_id);
    if (!byType) out.set(row.room_id, (byType = new Map()));
    byType.set(row.type, row.event_id);
  }
  return out;
}
import { joinedServers as joinedServersOfRoom } from "../federation/room-servers.ts";
