import type { Db } from "../database.ts";

export interface StoredDeviceKeys {
  userId: string;
  deviceId: string;
  /** JSON text of the DeviceKeys object. */
  keyJson: string;
  displayName: string | null;
}

/** The stored device keys of one device, if any. */
export async function getDeviceKeyJson(
  db: Db,
  userId: string,
  deviceId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("e2e_device_keys")
    .select("key_json")
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .executeTakeFirst();
  return row?.key_json;
}

/**
 * Stores a device's keys unless it has some already; returns the stored JSON (the new keys, or the
 * existing ones the caller compares against, since device keys are immutable once set).
 */
export async function insertDeviceKeys(
  db: Db,
  userId: string,
  deviceId: string,
  keyJson: string,
): Promise<{ inserted: boolean; keyJson: string }> {
  const inserted = await db
    .insertInto("e2e_device_keys")
    .values({ user_id: userId, device_id: deviceId, key_json: keyJson })
    .onConflict((oc) => oc.columns(["user_id", "device_id"]).doNothing())
    .returning("key_json")
    .executeTakeFirst();
  if (inserted) return { inserted: true, keyJson };
  return { inserted: false, keyJson: (await getDeviceKeyJson(db, userId, deviceId)) ?? keyJson };
}

/**
 * Device keys of the given users' devices, with display names; `deviceIds` per user limits the devices
 * (an empty or absent list means all of them). Devices without uploaded keys are not listed.
 */
export async function queryDeviceKeys(
  db: Db,
  wanted: ReadonlyMap<string, readonly string[]>,
): Promise<StoredDeviceKeys[]> {
  if (wanted.size === 0) return [];
  const rows = await db
    .selectFrom("e2e_device_keys as k")
    .innerJoin("devices as d", (j) =>
      j.onRef("d.user_id", "=", "k.user_id").onRef("d.device_id", "=", "k.device_id"),
    )
    .select(["k.user_id", "k.device_id", "k.key_json", "d.display_name"])
    .where("k.user_id", "in", [...wanted.keys()])
    .execute();
  return rows
    .filter((r) => {
      const devices = wanted.get(r.user_id) ?? [];
      return devices.length === 0 || devices.includes(r.device_id);
    })
    .map((r) => ({
      userId: r.user_id,
      deviceId: r.device_id,
      keyJson: r.key_json,
      displayName: r.display_name,
    }));
}

/** Which of the users exist locally (for keys/query and keys/claim failures). */
export async function existingUsers(db: Db, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db
    .selectFrom("users")
    .select("user_id")
    .where("user_id", "in", [...userIds])
    .execute();
  return new Set(rows.map((r) => r.user_id));
}
