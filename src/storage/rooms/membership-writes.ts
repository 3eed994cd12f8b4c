import type { Db } from "../database.ts";

/** Marks the room forgotten for the user; false when they have no membership row. */
export async function setForgotten(db: Db, roomId: string, userId: string): Promise<boolean> {
  const res = await db
    .updateTable("current_memberships")
    .set({ forgotten: true })
    .where("room_id", "=", roomId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
