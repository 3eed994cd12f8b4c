import { sql } from "kysely";
import type { Db } from "../database.ts";

/**
 * Users of `server` who ever had a membership event in the room: the only member keys that can
 * decide what that server may see. The suffix match is a prefilter; callers check the exact domain.
 */
export async function roomMembersOfServer(db: Db, roomId: string, server: string): Promise<string[]> {
  const rows = await sql<{ user_id: string }>`
    SELECT DISTINCT user_id FROM room_memberships
    WHERE room_id = ${roomId} AND right(user_id, ${server.length + 1}) = ${":" + server}
  `.execute(db);
  return rows.rows.map((r) => r.user_id);
}
