import type { Db } from "../database.ts";

/** Creates the device, or keeps the existing one (a login may reuse a device id). */
export async function upsertDevice(
  db: Db,
  device: { userId: string; deviceId: string; displayName: string | null; createdTs: number },
): Promise<void> {
  await db
    .insertInto("devices")
    .values({
      user_id: device.userId,
      device_id: device.deviceId,
      display_name: device.displayName,
      created_ts: device.createdTs,
    })
    .onConflict((oc) => oc.columns(["user_id", "device_id"]).doNothing())
    .execute();
}

export async function touchDevice(
  db: Db,
  userId: string,
  deviceId: string,
  ip: string | null,
  ts: number,
): Promise<void> {
  await db
    .updateTable("devices")
    .set({ last_seen_ip: ip, last_seen_ts: ts })
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .execute();
}
