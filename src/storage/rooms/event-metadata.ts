import type { Db } from "../database.ts";

/** Room version of each known room among `roomIds`. */
export async function roomVersionsOf(db: Db, roomIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (roomIds.length === 0) return out;
  const rows = await db
    .selectFrom("rooms")
    .select(["room_id", "room_version"])
    .where("room_id", "in", [...new Set(roomIds)])
    .execute();
  for (const row of rows) out.set(row.room_id, row.room_version);
  return out;
}

/**
 * The client transaction id of each event this device sent (unsigned.transaction_id is for the sending
 * device only, so its local echo can be matched).
 */
export async function transactionIdsOf(
  db: Db,
  userId: string,
  deviceId: string,
  eventIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (eventIds.length === 0) return out;
  const rows = await db
    .selectFrom("event_txn_ids")
    .select(["event_id", "txn_id"])
    .where("event_id", "in", [...new Set(eventIds)])
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .execute();
  for (const row of rows) out.set(row.event_id, row.txn_id);
  return out;
}
