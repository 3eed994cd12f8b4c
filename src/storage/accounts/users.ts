import type { Db } from "../database.ts";

export interface UserRow {
  userId: string;
  passwordHash: string | null;
  isAdmin: boolean;
  isGuest: boolean;
  deactivated: boolean;
  createdTs: number;
}

/** Inserts a user; false when the id is taken. */
export async function insertUser(
  db: Db,
  user: {
    userId: string;
    passwordHash: string | null;
    isAdmin?: boolean;
    isGuest?: boolean;
    createdTs: number;
  },
): Promise<boolean> {
  const result = await db
    .insertInto("users")
    .values({
      user_id: user.userId,
      password_hash: user.passwordHash,
      is_admin: user.isAdmin ?? false,
      is_guest: user.isGuest ?? false,
      created_ts: user.createdTs,
    })
    .onConflict((oc) => oc.column("user_id").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findUser(db: Db, userId: string): Promise<UserRow | undefined> {
  const row = await db.selectFrom("users").selectAll().where("user_id", "=", userId).executeTakeFirst();
  if (!row) return undefined;
  return {
    userId: row.user_id,
    passwordHash: row.password_hash,
    isAdmin: row.is_admin,
    isGuest: row.is_guest,
    deactivated: row.deactivated,
    createdTs: Number(row.created_ts),
  };
}

export async function setPasswordHash(db: Db, userId: string, passwordHash: string | null): Promise<void> {
  await db.updateTable("users").set({ password_hash: passwordHash }).where("user_id", "=", userId).execute();
}

/** Marks the account deactivated; its id stays reserved forever. `erase` also forgets the password. */
export async function markDeactivated(db: Db, userId: string, opts: { erase: boolean }): Promise<void> {
  await db
    .updateTable("users")
    .set({ deactivated: true, ...(opts.erase ? { password_hash: null } : {}) })
    .where("user_id", "=", userId)
    .execute();
}

/** Whether any local account exists (the first-start registration token is only for the first one). */
export async function anyUserExists(db: Db): Promise<boolean> {
  const row = await db.selectFrom("users").select("user_id").limit(1).executeTakeFirst();
  return row !== undefined;
}
