import type { Db } from "../database.ts";

export interface TokenOwner {
  userId: string;
  deviceId: string;
  expiresTs: number | null;
  isGuest: boolean;
  isAdmin: boolean;
  deactivated: boolean;
}

export async function insertAccessToken(
  db: Db,
  row: { tokenHash: Buffer; userId: string; deviceId: string; createdTs: number; expiresTs: number | null },
): Promise<void> {
  await db
    .insertInto("access_tokens")
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      device_id: row.deviceId,
      created_ts: row.createdTs,
      expires_ts: row.expiresTs,
    })
    .execute();
}

export async function findAccessToken(db: Db, tokenHash: Buffer): Promise<TokenOwner | undefined> {
  const row = await db
    .selectFrom("access_tokens as t")
    .innerJoin("users as u", "u.user_id", "t.user_id")
    .select(["t.user_id", "t.device_id", "t.expires_ts", "u.is_guest", "u.is_admin", "u.deactivated"])
    .where("t.token_hash", "=", tokenHash)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    userId: row.user_id,
    deviceId: row.device_id,
    expiresTs: row.expires_ts === null ? null : Number(row.expires_ts),
    isGuest: row.is_guest,
    isAdmin: row.is_admin,
    deactivated: row.deactivated,
  };
}

export async function deleteAccessToken(db: Db, tokenHash: Buffer): Promise<void> {
  await db.deleteFrom("access_tokens").where("token_hash", "=", tokenHash).execute();
}
