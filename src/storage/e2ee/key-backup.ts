import { sql } from "kysely";
import type { Db } from "../database.ts";

export interface BackupVersionRow {
  version: number;
  algorithm: string;
  authData: string;
  etag: number;
  count: number;
}

/** Creates the next version (numbers are never reused, deleted ones included). */
export async function createBackupVersion(
  db: Db,
  userId: string,
  algorithm: string,
  authData: string,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // Serialises creations per user so two never pick the same number.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`room_keys:${userId}`}))`.execute(trx);
    const row = await trx
      .selectFrom("room_key_backup_versions")
      .select((eb) => eb.fn.max("version").as("max"))
      .where("user_id", "=", userId)
      .executeTakeFirst();
    const version = Number(row?.max ?? 0) + 1;
    await trx
      .insertInto("room_key_backup_versions")
      .values({ user_id: userId, version, algorithm, auth_data: authData })
      .execute();
    return version;
  });
}

/** A live version with its key count; the latest one when `version` is undefined. */
export async function getBackupVersion(
  db: Db,
  userId: string,
  version: number | undefined,
): Promise<BackupVersionRow | undefined> {
  let q = db
    .selectFrom("room_key_backup_versions as v")
    .select([
      "v.version",
      "v.algorithm",
      "v.auth_data",
      "v.etag",
      (eb) =>
        eb
          .selectFrom("room_key_backups as k")
          .select((e) => e.fn.countAll<string>().as("n"))
          .whereRef("k.user_id", "=", "v.user_id")
          .whereRef("k.version", "=", "v.version")
          .as("count"),
    ])
    .where("v.user_id", "=", userId)
    .where("v.deleted", "=", false);
  q =
    version === undefined
      ? q.orderBy("v.version", "desc").limit(1)
      : q.where("v.version", "=", String(version));
  const row = await q.executeTakeFirst();
  return (
    row && {
      version: Number(row.version),
      algorithm: row.algorithm,
      authData: row.auth_data,
      etag: Number(row.etag),
      count: Number(row.count ?? 0),
    }
  );
}

/** Replaces a live version's auth_data; false when there is no such version. */
export async function updateBackupVersion(
  db: Db,
  userId: string,
  version: number,
  authData: string,
): Promise<boolean> {
  const result = await db
    .updateTable("room_key_backup_versions")
    .set({ auth_data: authData })
    .where("user_id", "=", userId)
    .where("version", "=", String(version))
    .where("deleted", "=", false)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Deletes a version and its keys (the number stays taken); false when there is no such live version. */
export async function deleteBackupVersion(db: Db, userId: string, version: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable("room_key_backup_versions")
      .set({ deleted: true })
      .where("user_id", "=", userId)
      .where("version", "=", String(version))
      .where("deleted", "=", false)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await trx
      .deleteFrom("room_key_backups")
      .where("user_id", "=", userId)
      .where("version", "=", String(version))
      .execute();
    return true;
  });
}

export interface BackedUpKey {
  roomId: string;
  sessionId: string;
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  /** JSON text. */
  sessionData: string;
}

/**
 * Locks the version row (so writers of one backup take turns and the etag moves once per write) and
 * returns the latest live version number, or undefined when the user has no backup.
 */
export async function lockLatestBackupVersion(trx: Db, userId: string): Promise<number | undefined> {
  const row = await trx
    .selectFrom("room_key_backup_versions")
    .select("version")
    .where("user_id", "=", userId)
    .where("deleted", "=", false)
    .orderBy("version", "desc")
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.version);
}

/** Stored keys of the given sessions, keyed `roomId\u0000sessionId` (NUL cannot occur in either). */
export async function backedUpKeysFor(
  trx: Db,
  userId: string,
  version: number,
  sessions: readonly { roomId: string; sessionId: string }[],
): Promise<Map<string, BackedUpKey>> {
  const out = new Map<string, BackedUpKey>();
  if (sessions.length === 0) return out;
  const rows = await sql<KeyRow>`
    SELECT k.* FROM room_key_backups k
    JOIN unnest(${sessions.map((s) => s.roomId)}::text[], ${sessions.map((s) => s.sessionId)}::text[]) AS w(room_id, session_id)
      ON k.room_id = w.room_id AND k.session_id = w.session_id
    WHERE k.user_id = ${userId} AND k.version = ${version}
  `.execute(trx);
  for (const r of rows.rows) out.set(`${r.room_id}\u0000${r.session_id}`, toKey(r));
  return out;
}

export async function upsertBackedUpKeys(
  trx: Db,
  userId: string,
  version: number,
  keys: readonly BackedUpKey[],
): Promise<void> {
  if (keys.length === 0) return;
  await trx
    .insertInto("room_key_backups")
    .values(
      keys.map((k) => ({
        user_id: userId,
        version,
        room_id: k.roomId,
        session_id: k.sessionId,
        first_message_index: k.firstMessageIndex,
        forwarded_count: k.forwardedCount,
        is_verified: k.isVerified,
        session_data: k.sessionData,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["user_id", "version", "room_id", "session_id"]).doUpdateSet((eb) => ({
        first_message_index: eb.ref("excluded.first_message_index"),
        forwarded_count: eb.ref("excluded.forwarded_count"),
        is_verified: eb.ref("excluded.is_verified"),
        session_data: eb.ref("excluded.session_data"),
      })),
    )
    .execute();
}

/** Deletes keys of a version: all, one room's, or one session's. Returns how many went. */
export async function deleteBackedUpKeys(
  trx: Db,
  userId: string,
  version: number,
  roomId?: string,
  sessionId?: string,
): Promise<number> {
  let q = trx
    .deleteFrom("room_key_backups")
    .where("user_id", "=", userId)
    .where("version", "=", String(version));
  if (roomId !== undefined) q = q.where("room_id", "=", roomId);
  if (sessionId !== undefined) q = q.where("session_id", "=", sessionId);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function bumpBackupEtag(trx: Db, userId: string, version: number): Promise<void> {
  await trx
    .updateTable("room_key_backup_versions")
    .set({ etag: sql<number>`etag + 1` })
    .where("user_id", "=", userId)
    .where("version", "=", String(version))
    .execute();
}

/** Keys of a version: all, one room's, or one session's. */
export async function readBackedUpKeys(
  db: Db,
  userId: string,
  version: number,
  roomId?: string,
  sessionId?: string,
): Promise<BackedUpKey[]> {
  let q = db
    .selectFrom("room_key_backups")
    .selectAll()
    .where("user_id", "=", userId)
    .where("version", "=", String(version));
  if (roomId !== undefined) q = q.where("room_id", "=", roomId);
  if (sessionId !== undefined) q = q.where("session_id", "=", sessionId);
  const rows = await q.orderBy("room_id").orderBy("session_id").execute();
  return rows.map(toKey);
}

interface KeyRow {
  room_id: string;
  session_id: string;
  first_message_index: string;
  forwarded_count: string;
  is_verified: boolean;
  session_data: string;
}

function toKey(r: KeyRow): BackedUpKey {
  return {
    roomId: r.room_id,
    sessionId: r.session_id,
    firstMessageIndex: Number(r.first_message_index),
    forwardedCount: Number(r.forwarded_count),
    isVerified: r.is_verified,
    sessionData: r.session_data,
  };
}
