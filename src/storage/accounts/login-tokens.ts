import type { Db } from "../database.ts";

export async function insertLoginToken(
  db: Db,
  row: { tokenHash: Buffer; userId: string; createdTs: number; expiresTs: number },
): Promise<void> {
  await db
    .insertInto("login_tokens")
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      created_ts: row.createdTs,
      expires_ts: row.expiresTs,
    })
    .execute();
}

/**
 * Deletes the token and returns its user if it had not expired. Deleting is the claim: of two concurrent
 * logins with one token, only one sees the row.
 */
export async function consumeLoginToken(db: Db, tokenHash: Buffer, now: number): Promise<string | undefined> {
  const row = await db
    .deleteFrom("login_tokens")
    .where("token_hash", "=", tokenHash)
    .returning(["user_id", "expires_ts"])
    .executeTakeFirst();
  if (!row || Number(row.expires_ts) <= now) return undefined;
  return row.user_id;
}

export async function deleteExpiredLoginTokens(db: Db, now: number): Promise<void> {
  await db.deleteFrom("login_tokens").where("expires_ts", "<=", String(now)).execute();
}
