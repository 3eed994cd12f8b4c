import type { Db } from "../database.ts";

/** Records an accepted m.room.member event in the membership history. */
export async function insertRoomMembership(
  tx: Db,
  m: {
    eventId: string;
    roomId: string;
    userId: string;
    sender: string;
    membership: string;
    streamOrdering: number | null;
  },
): Promise<void> {
  await tx
    .insertInto("room_memberships")
    .values({
      event_id: m.eventId,
      room_id: m.roomId,
      user_id: m.userId,
      sender: m.sender,
      membership: m.membership,
      stream_ordering: m.streamOrdering,
    })
    .onConflict((oc) => oc.column("event_id").doNothing())
    .execute();
}

/**
 * Sets the user's membership in current state. A new membership clears `forgotten`: forgetting is
 * about the room as the user last left it, and re-joining (or a new invite) brings it back.
 */
export async function setCurrentMembership(
  tx: Db,
  m: { roomId: string; userId: string; membership: string; eventId: string; streamOrdering: number | null },
): Promise<void> {
  await tx
    .insertInto("current_memberships")
    .values({
      room_id: m.roomId,
      user_id: m.userId,
      membership: m.membership,
      event_id: m.eventId,
      stream_ordering: m.streamOrdering,
      forgotten: false,
    })
    .onConflict((oc) =>
      oc.columns(["room_id", "user_id"]).doUpdateSet({
        membership: m.membership,
        event_id: m.eventId,
        stream_ordering: m.streamOrdering,
        forgotten: false,
      }),
    )
    .execute();
}

export async function deleteCurrentMembership(tx: Db, roomId: string, userId: string): Promise<void> {
  await tx
    .deleteFrom("current_memberships")
    .where("room_id", "=", roomId)
    .where("user_id", "=", userId)
    .execute();
}

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
