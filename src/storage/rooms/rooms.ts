import type { Db } from "../database.ts";

export interface RoomRow {
  roomId: string;
  roomVersion: string;
  creator: string | null;
  isPublic: boolean;
}

export async function getRoom(db: Db, roomId: string): Promise<RoomRow | undefined> {
  const row = await db.selectFrom("rooms").selectAll().where("room_id", "=", roomId).executeTakeFirst();
  if (!row) return undefined;
  return {
    roomId: row.room_id,
    roomVersion: row.room_version,
    creator: row.creator,
    isPublic: row.is_public,
  };
}

/** Records a room the first time one of its events is stored; a no-op when it is already known. */
export async function insertRoom(
  db: Db,
  room: { roomId: string; roomVersion: string; creator: string; isPublic: boolean; createdTs: number },
): Promise<void> {
  await db
    .insertInto("rooms")
    .values({
      room_id: room.roomId,
      room_version: room.roomVersion,
      creator: room.creator,
      is_public: room.isPublic,
      created_ts: room.createdTs,
    })
    .onConflict((oc) => oc.column("room_id").doNothing())
    .execute();
}
