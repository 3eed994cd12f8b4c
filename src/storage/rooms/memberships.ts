import type { Db } from "../database.ts";

export interface CurrentMembership {
  roomId: string;
  userId: string;
  membership: string;
  eventId: string;
  streamOrdering: number | null;
  forgotten: boolean;
}

function fromRow(r: {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_ordering: string | null;
  forgotten: boolean;
}): CurrentMembership {
  return {
    roomId: r.room_id,
    userId: r.user_id,
    membership: r.membership,
    eventId: r.event_id,
    streamOrdering: r.stream_ordering === null ? null : Number(r.stream_ordering),
    forgotten: r.forgotten,
  };
}

export async function getCurrentMembership(
  db: Db,
  roomId: string,
  userId: string,
): Promise<CurrentMembership | undefined> {
  const row = await db
    .selectFrom("current_memberships")
    .selectAll()
    .where("room_id", "=", roomId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The user's rooms with one of the given memberships (e.g. ["join"] for joined_rooms). */
export async function getRoomsForUser(
  db: Db,
  userId: string,
  memberships: readonly string[],
): Promise<CurrentMembership[]> {
  if (memberships.length === 0) return [];
  const rows = await db
    .selectFrom("current_memberships")
    .selectAll()
    .where("user_id", "=", userId)
    .where("membership", "in", [...memberships])
    .orderBy("room_id")
    .execute();
  return rows.map(fromRow);
}

/** Members of a room in current state, optionally only those with one of the given memberships. */
export async function getRoomMembers(
  db: Db,
  roomId: string,
  memberships?: readonly string[],
): Promise<CurrentMembership[]> {
  let q = db.selectFrom("current_memberships").selectAll().where("room_id", "=", roomId);
  if (memberships !== undefined) {
    if (memberships.length === 0) return [];
    q = q.where("membership", "in", [...memberships]);
  }
  const rows = await q.orderBy("user_id").execute();
  return rows.map(fromRow);
}
