import type { Db } from "../database.ts";

export interface TokenOwner {
  userId: string;
  deviceId: string;
  expiresTs: number | null;
  isGuest: boolean;
  isAdmin: boolean;
  deactivated: boolean;
  /** The refresh token issued with this access token, if any. */
  refreshTokenId: string | null;
  /** A refresh token that was used to obtain this one and is still kept for retry safety. */
  predecessorRefreshTokenId: string | null;
}

export async function insertAccessToken(
  db: Db,
  row: {
    tokenHash: Buffer;
    userId: string;
    deviceId: string;
    createdTs: number;
    expiresTs: number | null;
    refreshTokenId?: string | null;
  },
): Promise<void> {
  await db
    .insertInto("access_tokens")
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      device_id: row.deviceId,
      created_ts: row.createdTs,
      expires_ts: row.expiresTs,
      refresh_token_id: row.refreshTokenId ?? null,
    })
    .execute();
}

export async function findAccessToken(db: Db, tokenHash: Buffer): Promise<TokenOwner | undefined> {
  const row = await db
    .selectFrom("access_tokens as t")
    .innerJoin("users as u", "u.user_id", "t.user_id")
    .leftJoin("refresh_tokens as p", "p.next_token_id", "t.refresh_token_id")
    .select([
      "t.user_id",
      "t.device_id",
      "t.expires_ts",
      "t.refresh_token_id",
      "u.is_guest",
      "u.is_admin",
      "u.deactivated",
      "p.id as predecessor_id",
    ])
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
    refreshTokenId: row.refresh_token_id,
    predecessorRefreshTokenId: row.predecessor_id,
  };
}

export async function deleteAccessToken(db: Db, tokenHash: Buffer): Promise<void> {
  await db.deleteFrom("access_tokens").where("token_hash", "=", tokenHash).execute();
}

/** Every access and refresh token of one device (a login that reuses the device id starts afresh). */
export async function deleteDeviceTokens(db: Db, userId: string, deviceId: string): Promise<void> {
  await db
    .deleteFrom("access_tokens")
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .execute();
  await db
    .deleteFrom("refresh_tokens")
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .execute();
}
