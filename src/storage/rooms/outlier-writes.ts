import type { Db } from "../database.ts";

/**
 * Removes an event stored as an outlier (with its edges) so it can be stored again with its state,
 * when it turns out to belong in the timeline. False when it was not stored as an outlier.
 */
export async function deleteOutlier(tx: Db, eventId: string): Promise<boolean> {
  const deleted = await tx
    .deleteFrom("events")
    .where("event_id", "=", eventId)
    .where("outlier", "=", true)
    .executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) return false;
  await tx.deleteFrom("event_edges").where("event_id", "=", eventId).execute();
  await tx.deleteFrom("event_auth_edges").where("event_id", "=", eventId).execute();
  return true;
}

/**
 * Records a member event known only as an outlier (an invite or knock from a room this server is not
 * in) as the user's membership, at a stream position so that /sync notices it. A membership that
 * current state already decides (the room is joined here) is left to the room's own events.
 */
export async function recordOutlierMembership(
  tx: Db,
  row: {
    roomId: string;
    userId: string;
    sender: string;
    membership: string;
    eventId: string;
    streamOrdering: number;
  },
): Promise<boolean> {
  const inState = await tx
    .selectFrom("current_state")
    .select("event_id")
    .where("room_id", "=", row.roomId)
    .where("type", "=", "m.room.member")
    .where("state_key", "=", row.userId)
    .executeTakeFirst();
  if (inState) return false;
  await tx
    .insertInto("room_memberships")
    .values({
      event_id: row.eventId,
      room_id: row.roomId,
      user_id: row.userId,
      sender: row.sender,
      membership: row.membership,
      stream_ordering: row.streamOrdering,
    })
    .onConflict((oc) => oc.column("event_id").doNothing())
    .execute();
  await tx
    .insertInto("current_memberships")
    .values({
      room_id: row.roomId,
      user_id: row.userId,
      membership: row.membership,
      event_id: row.eventId,
      stream_ordering: row.streamOrdering,
      forgotten: false,
    })
    .onConflict((oc) =>
      oc.columns(["room_id", "user_id"]).doUpdateSet({
        membership: row.membership,
        event_id: row.eventId,
        stream_ordering: row.streamOrdering,
        forgotten: false,
      }),
    )
    .execute();
  return true;
}
