import type { Db } from "../database.ts";

export async function blockRoom(db: Db, roomId: string, blockedBy: string, now: number): Promise<void> {
  await db
    .insertInto("blocked_rooms")
    .values({ room_id: roomId, blocked_by: blockedBy, blocked_ts: now })
    .onConflict((oc) => oc.column("room_id").doNothing())
    .execute();
}

export async function unblockRoom(db: Db, roomId: string): Promise<void> {
  await db.deleteFrom("blocked_rooms").where("room_id", "=", roomId).execute();
}

/** Who blocked the room, or undefined when it is not blocked. */
export async function roomBlockedBy(db: Db, roomId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("blocked_rooms")
    .select("blocked_by")
    .where("room_id", "=", roomId)
    .executeTakeFirst();
  return row?.blocked_by;
}
