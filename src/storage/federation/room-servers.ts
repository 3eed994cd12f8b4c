import { sql } from "kysely";
import type { Db } from "../database.ts";

/**
 * The servers with at least one joined member in the room's current state (the server name is what
 * follows the first colon of a user id). Read inside a room write it sees that write's own changes.
 */
export async function joinedServers(db: Db, roomId: string): Promise<string[]> {
  const result = await sql<{ server: string }>`
    SELECT DISTINCT substring(user_id FROM position(':' IN user_id) + 1) AS server
    FROM current_memberships
    WHERE room_id = ${roomId} AND membership = 'join'
  `.execute(db);
  return result.rows.map((r) => r.server);
}

/**
 * Whether `server` has a joined member in the room: stops at the first one, where `joinedServers`
 * reads every member (hundreds in a big room, on each join to it).
 */
export async function hasJoinedMemberOn(db: Db, roomId: string, server: string): Promise<boolean> {
  const result = await sql<{ found: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM current_memberships
      WHERE room_id = ${roomId} AND membership = 'join'
        AND substring(user_id FROM position(':' IN user_id) + 1) = ${server}
    ) AS found
  `.execute(db);
  return result.rows[0]?.found === true;
}

/** The servers sharing at least one room (joined on both sides) with `userId`. */
export async function serversSharingRoomWith(db: Db, userId: string): Promise<string[]> {
  const result = await sql<{ server: string }>`
    SELECT DISTINCT substring(o.user_id FROM position(':' IN o.user_id) + 1) AS server
    FROM current_memberships mine
    JOIN current_memberships o ON o.room_id = mine.room_id AND o.membership = 'join'
    WHERE mine.user_id = ${userId} AND mine.membership = 'join'
  `.execute(db);
  return result.rows.map((r) => r.server);
}
