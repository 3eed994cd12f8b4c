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

export interface DeviceRow {
  deviceId: string;
  displayName: string | null;
  lastSeenIp: string | null;
  lastSeenTs: number | null;
}

function toDeviceRow(row: {
  device_id: string;
  display_name: string | null;
  last_seen_ip: string | null;
  last_seen_ts: string | null;
}): DeviceRow {
  return {
    deviceId: row.device_id,
    displayName: row.display_name,
    lastSeenIp: row.last_seen_ip,
    lastSeenTs: row.last_seen_ts === null ? null : Number(row.last_seen_ts),
  };
}

export async function listDevices(db: Db, userId: string): Promise<DeviceRow[]> {
  const rows = await db
    .selectFrom("devices")
    .select(["device_id", "display_name", "last_seen_ip", "last_seen_ts"])
    .where("user_id", "=", userId)
    .orderBy("device_id")
    .execute();
  return rows.map(toDeviceRow);
}

export async function findDevice(db: Db, userId: string, deviceId: string): Promise<DeviceRow | undefined> {
  const row = await db
    .selectFrom("devices")
    .select(["device_id", "display_name", "last_seen_ip", "last_seen_ts"])
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .executeTakeFirst();
  return row && toDeviceRow(row);
}

/** False when the user has no such device. */
export async function setDeviceDisplayName(
  db: Db,
  userId: string,
  deviceId: string,
  displayName: string,
): Promise<boolean> {
  const result = await db
    .updateTable("devices")
    .set({ display_name: displayName })
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes devices (their access and refresh tokens cascade); returns the ids that existed. */
export async function deleteDevices(db: Db, userId: string, deviceIds: readonly string[]): Promise<string[]> {
  if (deviceIds.length === 0) return [];
  const rows = await db
    .deleteFrom("devices")
    .where("user_id", "=", userId)
    .where("device_id", "in", deviceIds)
    .returning("device_id")
    .execute();
  return rows.map((r) => r.device_id);
}

/** Deletes every device of the user except `keep` (if given); returns the ids deleted. */
export async function deleteAllDevices(db: Db, userId: string, keep?: string): Promise<string[]> {
  let query = db.deleteFrom("devices").where("user_id", "=", userId);
  if (keep !== undefined) query = query.where("device_id", "!=", keep);
  const rows = await query.returning("device_id").execute();
  return rows.map((r) => r.device_id);
}
