import { sql, type RawBuilder } from "kysely";
import type { Db } from "../database.ts";

/** A local account as the admin API lists it. */
export interface AdminUserRow {
  userId: string;
  isGuest: boolean;
  isAdmin: boolean;
  deactivated: boolean;
  /** Deactivated with erase: the password hash is gone too. */
  hasPassword: boolean;
  displayname: string | null;
  avatarUrl: string | null;
  createdTs: number;
  lastSeenTs: number | null;
}

export type UserOrder =
  | "name"
  | "is_guest"
  | "admin"
  | "deactivated"
  | "displayname"
  | "avatar_url"
  | "creation_ts"
  | "last_seen_ts";

export interface UserQuery {
  /** Substring of the user id (`user_id`), or of the localpart or display name (`name`). */
  userIdContains?: string;
  nameContains?: string;
  guests: boolean;
  deactivated: boolean;
  admins?: boolean;
  orderBy: UserOrder;
  backwards: boolean;
  from: number;
  limit: number;
}

const profileText = (field: string) =>
  sql<
    string | null
  >`(SELECT p.value #>> '{}' FROM profile_fields p WHERE p.user_id = u.user_id AND p.field_name = ${field})`;
const lastSeen = sql<string | null>`(SELECT max(d.last_seen_ts) FROM devices d WHERE d.user_id = u.user_id)`;

type Sql = RawBuilder<unknown>;

/** LIKE pattern for "contains", with the pattern characters escaped. */
const contains = (text: string): string => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

function baseQuery(db: Db) {
  return db
    .selectFrom("users as u")
    .select([
      "u.user_id",
      "u.is_guest",
      "u.is_admin",
      "u.deactivated",
      "u.password_hash",
      "u.created_ts",
      profileText("displayname").as("displayname"),
      profileText("avatar_url").as("avatar_url"),
      lastSeen.as("last_seen_ts"),
    ]);
}

type BaseRow = Awaited<ReturnType<ReturnType<typeof baseQuery>["executeTakeFirstOrThrow"]>>;

function toAdminUser(r: BaseRow): AdminUserRow {
  return {
    userId: r.user_id,
    isGuest: r.is_guest,
    isAdmin: r.is_admin,
    deactivated: r.deactivated,
    hasPassword: r.password_hash !== null,
    displayname: r.displayname,
    avatarUrl: r.avatar_url,
    createdTs: Number(r.created_ts),
    lastSeenTs: r.last_seen_ts === null ? null : Number(r.last_seen_ts),
  };
}

/** The WHERE clause of a user query (shared by the page and the total). */
function matches(q: UserQuery): Sql {
  const conds: Sql[] = [sql`true`];
  if (!q.guests) conds.push(sql`NOT u.is_guest`);
  if (!q.deactivated) conds.push(sql`NOT u.deactivated`);
  if (q.admins !== undefined) conds.push(sql`u.is_admin = ${q.admins}`);
  if (q.nameContains !== undefined) {
    const pattern = contains(q.nameContains.toLowerCase());
    conds.push(
      sql`(lower(split_part(substr(u.user_id, 2), ':', 1)) LIKE ${pattern} OR lower(${profileText("displayname")}) LIKE ${pattern})`,
    );
  } else if (q.userIdContains !== undefined) {
    conds.push(sql`u.user_id LIKE ${contains(q.userIdContains)}`);
  }
  return sql.join(conds, sql` AND `);
}

const ORDER_COLUMN: Record<UserOrder, Sql> = {
  name: sql`u.user_id`,
  is_guest: sql`u.is_guest`,
  admin: sql`u.is_admin`,
  deactivated: sql`u.deactivated`,
  displayname: profileText("displayname"),
  avatar_url: profileText("avatar_url"),
  creation_ts: sql`u.created_ts`,
  last_seen_ts: lastSeen,
};

/** One page of local accounts and the total the filters match. */
export async function listUsers(db: Db, q: UserQuery): Promise<{ users: AdminUserRow[]; total: number }> {
  const dir = q.backwards ? sql`DESC` : sql`ASC`;
  const where = matches(q);
  const rows = await baseQuery(db)
    .where(sql<boolean>`${where}`)
    // Ties are broken by user id, so pages are stable whatever the order.
    .orderBy(sql`${ORDER_COLUMN[q.orderBy]} ${dir} NULLS LAST, u.user_id ${dir}`)
    .offset(q.from)
    .limit(q.limit)
    .execute();
  const count = await db
    .selectFrom("users as u")
    .where(sql<boolean>`${where}`)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return { total: Number(count.n), users: rows.map(toAdminUser) };
}

/** One account with its profile fields, or undefined. */
export async function getAdminUser(db: Db, userId: string): Promise<AdminUserRow | undefined> {
  const row = await baseQuery(db).where("u.user_id", "=", userId).executeTakeFirst();
  return row && toAdminUser(row);
}

export async function setUserAdmin(db: Db, userId: string, admin: boolean): Promise<void> {
  await db.updateTable("users").set({ is_admin: admin }).where("user_id", "=", userId).execute();
}

/** Reactivation (PUT /v2/users with deactivated: false). */
export async function reactivateUser(db: Db, userId: string): Promise<void> {
  await db.updateTable("users").set({ deactivated: false }).where("user_id", "=", userId).execute();
}
