import { sql } from "kysely";
import type { Db } from "../database.ts";

export interface UploadedKey {
  algorithm: string;
  keyId: string;
  keyJson: string;
}

/**
 * Adds one-time keys in the order given (their upload order is their claim order). Returns the ids of
 * keys already stored with different content: the caller rejects the upload, and this runs in its
 * transaction so nothing is kept.
 */
export async function insertOneTimeKeys(
  db: Db,
  userId: string,
  deviceId: string,
  keys: readonly UploadedKey[],
): Promise<string[]> {
  if (keys.length === 0) return [];
  const existing = await db
    .selectFrom("e2e_one_time_keys")
    .select(["algorithm", "key_id", "key_json"])
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .where(
      sql<string>`algorithm || ':' || key_id`,
      "in",
      keys.map((k) => `${k.algorithm}:${k.keyId}`),
    )
    .execute();
  const stored = new Map(existing.map((r) => [`${r.algorithm}:${r.key_id}`, r.key_json]));
  const conflicts = keys.filter((k) => {
    const old = stored.get(`${k.algorithm}:${k.keyId}`);
    return old !== undefined && old !== k.keyJson;
  });
  if (conflicts.length > 0) return conflicts.map((k) => `${k.algorithm}:${k.keyId}`);
  const fresh = keys.filter((k) => !stored.has(`${k.algorithm}:${k.keyId}`));
  // One row at a time in upload order would be slow; a multi-row insert assigns seq in VALUES order.
  if (fresh.length > 0) {
    await db
      .insertInto("e2e_one_time_keys")
      .values(
        fresh.map((k) => ({
          user_id: userId,
          device_id: deviceId,
          algorithm: k.algorithm,
          key_id: k.keyId,
          key_json: k.keyJson,
        })),
      )
      .onConflict((oc) => oc.columns(["user_id", "device_id", "algorithm", "key_id"]).doNothing())
      .execute();
  }
  return [];
}

/** Unclaimed one-time keys of a device per algorithm. */
export async function countOneTimeKeys(
  db: Db,
  userId: string,
  deviceId: string,
): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("e2e_one_time_keys")
    .select(["algorithm", (eb) => eb.fn.countAll<string>().as("n")])
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .groupBy("algorithm")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.algorithm, Number(r.n)]));
}

/**
 * Hands out the device's oldest one-time key of the algorithm and deletes it. Concurrent claims skip
 * a row another claim holds, so no key is ever handed out twice.
 */
export async function claimOneTimeKey(
  db: Db,
  userId: string,
  deviceId: string,
  algorithm: string,
): Promise<{ keyId: string; keyJson: string } | undefined> {
  const result = await sql<{ key_id: string; key_json: string }>`
    DELETE FROM e2e_one_time_keys WHERE seq = (
      SELECT seq FROM e2e_one_time_keys
      WHERE user_id = ${userId} AND device_id = ${deviceId} AND algorithm = ${algorithm}
      ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED
    )
    RETURNING key_id, key_json
  `.execute(db);
  const row = result.rows[0];
  return row && { keyId: row.key_id, keyJson: row.key_json };
}

/** Replaces the device's fallback key of the algorithm; a new key starts unused. */
export async function upsertFallbackKey(
  db: Db,
  userId: string,
  deviceId: string,
  key: UploadedKey,
): Promise<void> {
  await db
    .insertInto("e2e_fallback_keys")
    .values({
      user_id: userId,
      device_id: deviceId,
      algorithm: key.algorithm,
      key_id: key.keyId,
      key_json: key.keyJson,
    })
    .onConflict((oc) =>
      oc.columns(["user_id", "device_id", "algorithm"]).doUpdateSet({
        key_id: key.keyId,
        key_json: key.keyJson,
        // Re-uploading the very same key keeps its state; a different key is fresh.
        used: sql<boolean>`CASE WHEN e2e_fallback_keys.key_id = ${key.keyId} AND e2e_fallback_keys.key_json = ${key.keyJson} THEN e2e_fallback_keys.used ELSE false END`,
      }),
    )
    .execute();
}

/** The device's fallback key of the algorithm, marked used. */
export async function claimFallbackKey(
  db: Db,
  userId: string,
  deviceId: string,
  algorithm: string,
): Promise<{ keyId: string; keyJson: string } | undefined> {
  const row = await db
    .updateTable("e2e_fallback_keys")
    .set({ used: true })
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .where("algorithm", "=", algorithm)
    .returning(["key_id", "key_json"])
    .executeTakeFirst();
  return row && { keyId: row.key_id, keyJson: row.key_json };
}

/** Algorithms for which the device has a fallback key that has not been claimed. */
export async function unusedFallbackKeyTypes(db: Db, userId: string, deviceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("e2e_fallback_keys")
    .select("algorithm")
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .where("used", "=", false)
    .orderBy("algorithm")
    .execute();
  return rows.map((r) => r.algorithm);
}

/**
 * countOneTimeKeys and unusedFallbackKeyTypes in one round trip, for /sync, which reports both on
 * every response.
 */
export async function deviceKeyState(
  db: Db,
  userId: string,
  deviceId: string,
): Promise<{ counts: Record<string, number>; unusedFallback: string[] }> {
  const { rows } = await sql<{ algorithm: string; n: number; fallback: boolean }>`
    SELECT algorithm, count(*)::int AS n, false AS fallback FROM e2e_one_time_keys
    WHERE user_id = ${userId} AND device_id = ${deviceId} GROUP BY algorithm
    UNION ALL
    SELECT algorithm, 0, true FROM e2e_fallback_keys
    WHERE user_id = ${userId} AND device_id = ${deviceId} AND NOT used
  `.execute(db);
  const counts: Record<string, number> = {};
  const unusedFallback: string[] = [];
  for (const r of rows) {
    if (r.fallback) unusedFallback.push(r.algorithm);
    else counts[r.algorithm] = r.n;
  }
  return { counts, unusedFallback: unusedFallback.sort() };
}

/** Which of the devices exist (claims for unknown devices are simply not answered). */
export async function devicesOf(db: Db, userIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom("devices")
    .select(["user_id", "device_id"])
    .where("user_id", "in", [...userIds])
    .execute();
  for (const r of rows) {
    let set = out.get(r.user_id);
    if (!set) out.set(r.user_id, (set = new Set()));
    set.add(r.device_id);
  }
  return out;
}
