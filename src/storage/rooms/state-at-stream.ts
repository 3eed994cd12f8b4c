import type { Db } from "../database.ts";

/**
 * The state group after the room's newest accepted timeline event at or before a stream position
 * (what the room looked like to a sync at that position); undefined before the room's first event.
 */
export async function stateGroupAtStream(
  db: Db,
  roomId: string,
  stream: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom("events")
    .select("state_group_after")
    .where("room_id", "=", roomId)
    .where("stream_ordering", "<=", String(stream))
    .where("stream_ordering", ">", "0")
    .where("outlier", "=", false)
    .where("rejected_reason", "is", null)
    .where("soft_failed", "=", false)
    .orderBy("stream_ordering", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.state_group_after == null ? undefined : Number(row.state_group_after);
}
