import type { Db } from "../database.ts";

/**
 * Read-side membership queries (history visibility, access checks). The rows are written by the room
 * writer; nothing here writes.
 */

export interface CurrentMembership {
  membership: string;
  eventId: string;
  streamOrdering: number | null;
}

export async function getCurrentMembership(
  db: Db,
  roomId: string,
  userId: string,
): Promise<CurrentMembership | undefined> {
  const row = await db
    .selectFrom("current_memberships")
    .select(["membership", "event_id", "stream_ordering"])
    .where("room_id", "=", roomId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    membership: row.membership,
    eventId: row.event_id,
    streamOrdering: row.stream_ordering === null ? null : Number(row.stream_ordering),
  };
}

/**
 * The stream position of the user's latest accepted join in each room, for the "shared" rule ("the user
 * joined the room at any point after the event was sent"): a later join exists exactly when the latest
 * one is later.
 */
export async function latestJoinStreams(
  db: Db,
  userId: string,
  roomIds: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (roomIds.length === 0) return out;
  const rows = await db
    .selectFrom("room_memberships")
    .select(["room_id", (eb) => eb.fn.max("stream_ordering").as("max")])
    .where("user_id", "=", userId)
    .where("membership", "=", "join")
    .where("room_id", "in", [...new Set(roomIds)])
    .groupBy("room_id")
    .execute();
  for (const row of rows) if (row.max !== null) out.set(row.room_id, Number(row.max));
  return out;
}

/** Number of users whose current membership is `join`, per room. */
export async function joinedMemberCounts(db: Db, roomIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (roomIds.length === 0) return out;
  const rows = await db
    .selectFrom("current_memberships")
    .select(["room_id", (eb) => eb.fn.countAll<string>().as("n")])
    .where("room_id", "in", [...new Set(roomIds)])
    .where("membership", "=", "join")
    .groupBy("room_id")
    .execute();
  for (const row of rows) out.set(row.room_id, Number(row.n));
  return out;
}
