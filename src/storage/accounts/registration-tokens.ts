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

export interface RegistrationTokenRow {
  token: string;
  usesAllowed: number | null;
  completed: number;
  expiryTs: number | null;
}

function toTokenRow(r: {
  token: string;
  uses_allowed: number | null;
  completed: number;
  expiry_ts: string | null;
}): RegistrationTokenRow {
  return {
    token: r.token,
    usesAllowed: r.uses_allowed,
    completed: r.completed,
    expiryTs: r.expiry_ts === null ? null : Number(r.expiry_ts),
  };
}

/** Stored tokens; `valid` keeps only usable ones (true) or only spent or expired ones (false). */
export async function listRegistrationTokens(
  db: Db,
  now: number,
  valid?: boolean,
): Promise<RegistrationTokenRow[]> {
  let q = db.selectFrom("registration_tokens").select(["token", "uses_allowed", "completed", "expiry_ts"]);
  if (valid !== undefined) {
    q = q.where((eb) => {
      const usable = eb.and([
        eb.or([eb("expiry_ts", "is", null), eb("expiry_ts", ">", String(now))]),
        eb.or([eb("uses_allowed", "is", null), eb("completed", "<", eb.ref("uses_allowed"))]),
      ]);
      return valid ? usable : eb.not(usable);
    });
  }
  const rows = await q.orderBy("created_ts").orderBy("token").execute();
  return rows.map(toTokenRow);
}

export async function getRegistrationToken(db: Db, token: string): Promise<RegistrationTokenRow | undefined> {
  const row = await db
    .selectFrom("registration_tokens")
    .select(["token", "uses_allowed", "completed", "expiry_ts"])
    .where("token", "=", token)
    .executeTakeFirst();
  return row && toTokenRow(row);
}

/** Inserts unless the token exists; false when it does. */
export async function insertRegistrationTokenIfAbsent(
  db: Db,
  row: { token: string; usesAllowed: number | null; expiryTs: number | null; createdTs: number },
): Promise<boolean> {
  const result = await db
    .insertInto("registration_tokens")
    .values({
      token: row.token,
      uses_allowed: row.usesAllowed,
      expiry_ts: row.expiryTs,
      created_ts: row.createdTs,
    })
    .onConflict((oc) => oc.column("token").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Changes the given fields; undefined when the token does not exist. */
export async function updateRegistrationToken(
  db: Db,
  token: string,
  change: { usesAllowed?: number | null; expiryTs?: number | null },
): Promise<RegistrationTokenRow | undefined> {
  const set = {
    ...(change.usesAllowed === undefined ? {} : { uses_allowed: change.usesAllowed }),
    ...(change.expiryTs === undefined ? {} : { expiry_ts: change.expiryTs }),
  };
  if (Object.keys(set).length === 0) return getRegistrationToken(db, token);
  const row = await db
    .updateTable("registration_tokens")
    .set(set)
    .where("token", "=", token)
    .returning(["token", "uses_allowed", "completed", "expiry_ts"])
    .executeTakeFirst();
  return row && toTokenRow(row);
}

/** False when there was no such token. */
export async function deleteRegistrationToken(db: Db, token: string): Promise<boolean> {
  const result = await db.deleteFrom("registration_tokens").where("token", "=", token).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
