import type { Db } from "../database.ts";

/**
 * Read-side membership queries (history visibility, access checks). The rows are written by the room
 * writer; nothing here writes.
 */

// One query serves both the writer and the readers.
export { getCurrentMembership, type CurrentMembership } from "./memberships.ts";

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
