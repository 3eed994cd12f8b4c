import type { Db } from "../database.ts";

/** Registration tokens managed at run time; the config file's tokens are checked by the caller. */
export async function isStoredRegistrationTokenValid(db: Db, token: string, now: number): Promise<boolean> {
  const row = await db
    .selectFrom("registration_tokens")
    .select("token")
    .where("token", "=", token)
    .where((eb) => eb.or([eb("expiry_ts", "is", null), eb("expiry_ts", ">", String(now))]))
    .where((eb) => eb.or([eb("uses_allowed", "is", null), eb("completed", "<", eb.ref("uses_allowed"))]))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Counts one completed registration against a stored token, only while it is still valid; false when
 * the token ran out or expired in the meantime (or is not a stored token).
 */
export async function consumeStoredRegistrationToken(db: Db, token: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("registration_tokens")
    .set((eb) => ({ completed: eb("completed", "+", 1) }))
    .where("token", "=", token)
    .where((eb) => eb.or([eb("expiry_ts", "is", null), eb("expiry_ts", ">", String(now))]))
    .where((eb) => eb.or([eb("uses_allowed", "is", null), eb("completed", "<", eb.ref("uses_allowed"))]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertRegistrationToken(
  db: Db,
  row: { token: string; usesAllowed: number | null; expiryTs: number | null; createdTs: number },
): Promise<void> {
  await db
    .insertInto("registration_tokens")
    .values({
      token: row.token,
      uses_allowed: row.usesAllowed,
      expiry_ts: row.expiryTs,
      created_ts: row.createdTs,
    })
    .execute();
}

/** Whether any stored token can still be used (registration is then possible with one even when closed). */
export async function anyStoredRegistrationTokenValid(db: Db, now: number): Promise<boolean> {
  const row = await db
    .selectFrom("registration_tokens")
    .select("token")
    .where((eb) => eb.or([eb("expiry_ts", "is", null), eb("expiry_ts", ">", String(now))]))
    .where((eb) => eb.or([eb("uses_allowed", "is", null), eb("completed", "<", eb.ref("uses_allowed"))]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
