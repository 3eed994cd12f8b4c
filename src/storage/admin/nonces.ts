import type { Db } from "../database.ts";

export async function insertRegistrationNonce(db: Db, nonce: string, now: number): Promise<void> {
  await db.insertInto("registration_nonces").values({ nonce, created_ts: now }).execute();
}

/**
 * Deletes the nonce (used or not, it is spent) and says whether it was handed out after `notBefore`.
 * Expired nonces are swept at the same time.
 */
export async function takeRegistrationNonce(db: Db, nonce: string, notBefore: number): Promise<boolean> {
  const taken = await db
    .deleteFrom("registration_nonces")
    .where("nonce", "=", nonce)
    .returning("created_ts")
    .executeTakeFirst();
  await db.deleteFrom("registration_nonces").where("created_ts", "<", String(notBefore)).execute();
  return taken !== undefined && Number(taken.created_ts) >= notBefore;
}
