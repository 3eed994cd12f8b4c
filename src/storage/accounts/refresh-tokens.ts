import type { Db } from "../database.ts";

export interface RefreshTokenRow {
  id: string;
  userId: string;
  deviceId: string;
  expiresTs: number | null;
  nextTokenId: string | null;
}

export async function insertRefreshToken(
  db: Db,
  row: { tokenHash: Buffer; userId: string; deviceId: string; createdTs: number; expiresTs: number | null },
): Promise<string> {
  const { id } = await db
    .insertInto("refresh_tokens")
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      device_id: row.deviceId,
      created_ts: row.createdTs,
      expires_ts: row.expiresTs,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/** Looks a refresh token up and locks its row, so two concurrent refreshes with it take turns. */
export async function findRefreshTokenForUpdate(
  db: Db,
  tokenHash: Buffer,
): Promise<RefreshTokenRow | undefined> {
  const row = await db
    .selectFrom("refresh_tokens")
    .select(["id", "user_id", "device_id", "expires_ts", "next_token_id"])
    .where("token_hash", "=", tokenHash)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    userId: row.user_id,
    deviceId: row.device_id,
    expiresTs: row.expires_ts === null ? null : Number(row.expires_ts),
    nextTokenId: row.next_token_id,
  };
}

export async function setNextRefreshToken(db: Db, id: string, nextId: string): Promise<void> {
  await db.updateTable("refresh_tokens").set({ next_token_id: nextId }).where("id", "=", id).execute();
}

/** Deletes refresh tokens by id; access tokens issued with them go too (FK cascade). */
export async function deleteRefreshTokens(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom("refresh_tokens").where("id", "in", ids).execute();
}

/** Revokes the refresh token(s) superseded by `id`: called once the successor has been used. */
export async function deletePredecessorsOf(db: Db, id: string): Promise<void> {
  await db.deleteFrom("refresh_tokens").where("next_token_id", "=", id).execute();
}
