import type { Db } from "../database.ts";

export async function queueRoomLeaves(
  db: Db,
  userId: string,
  requestedBy: string,
  now: number,
): Promise<void> {
  await db
    .insertInto("pending_room_leaves")
    .values({ user_id: userId, requested_by: requestedBy, requested_ts: now })
    .onConflict((oc) => oc.column("user_id").doNothing())
    .execute();
}

/** The queued users, oldest first. */
export async function pendingRoomLeaves(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("pending_room_leaves")
    .select("user_id")
    .orderBy("requested_ts")
    .limit(limit)
    .execute();
  return rows.map((r) => r.user_id);
}

export async function hasPendingRoomLeaves(db: Db, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom("pending_room_leaves")
    .select("user_id")
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function clearRoomLeaves(db: Db, userId: string): Promise<void> {
  await db.deleteFrom("pending_room_leaves").where("user_id", "=", userId).execute();
}
