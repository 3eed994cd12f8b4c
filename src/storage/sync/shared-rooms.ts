import { sql } from "kysely";
import type { Db } from "../database.ts";

/** Rooms the user is joined to now (current state). */
export async function joinedRoomIds(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("current_memberships")
    .select("room_id")
    .where("user_id", "=", userId)
    .where("membership", "=", "join")
    .execute();
  return rows.map((r) => r.room_id);
}

/** Users joined to at least one room `userId` is joined to (themselves included when joined anywhere). */
export async function usersSharingRooms(db: Db, userId: string): Promise<string[]> {
  const rows = await sql<{ user_id: string }>`
    SELECT DISTINCT other.user_id
    FROM current_memberships mine
    JOIN current_memberships other ON other.room_id = mine.room_id AND other.membership = 'join'
    WHERE mine.user_id = ${userId} AND mine.membership = 'join'
  `.execute(db);
  return rows.rows.map((r) => r.user_id);
}

/** Whether the two users are both joined to some room. */
export async function shareARoom(db: Db, a: string, b: string): Promise<boolean> {
  const row = await sql<{ one: number }>`
    SELECT 1 AS one
    FROM current_memberships x
    JOIN current_memberships y ON y.room_id = x.room_id AND y.user_id = ${b} AND y.membership = 'join'
    WHERE x.user_id = ${a} AND x.membership = 'join'
    LIMIT 1
  `.execute(db);
  return row.rows.length > 0;
}

/**
 * Users who came to share a room with the syncing user in (after, upTo]: joins to the given rooms in
 * that window (read through the events index, by room and stream), and everyone joined to `newRooms`
 * (rooms the user itself just joined).
 */
export async function newlySharedUsers(
  db: Db,
  roomIds: readonly string[],
  newRooms: readonly string[],
  after: number,
  upTo: number,
): Promise<string[]> {
  if (roomIds.length === 0 && newRooms.length === 0) return [];
  const rows = await sql<{ user_id: string }>`
    SELECT rm.user_id FROM events e JOIN room_memberships rm ON rm.event_id = e.event_id
    WHERE e.room_id = ANY(${[...roomIds]}::text[]) AND e.type = 'm.room.member'
      AND e.stream_ordering > ${after} AND e.stream_ordering <= ${upTo} AND rm.membership = 'join'
    UNION
    SELECT user_id FROM current_memberships
    WHERE room_id = ANY(${[...newRooms]}::text[]) AND membership = 'join'
  `.execute(db);
  return rows.rows.map((r) => r.user_id);
}
