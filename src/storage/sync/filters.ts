import type { Db } from "../database.ts";

/** Stores a validated filter as the client sent it; returns its id. */
export async function insertFilter(db: Db, userId: string, filterJson: string, now: number): Promise<string> {
  const row = await db
    .insertInto("user_filters")
    .values({ user_id: userId, filter_json: filterJson, created_ts: now })
    .returning("filter_id")
    .executeTakeFirstOrThrow();
  return String(row.filter_id);
}

const FILTER_ID = /^[0-9]{1,18}$/;

/** The stored JSON of one of the user's filters; undefined for unknown or malformed ids. */
export async function getFilterJson(db: Db, userId: string, filterId: string): Promise<string | undefined> {
  if (!FILTER_ID.test(filterId)) return undefined;
  const row = await db
    .selectFrom("user_filters")
    .select("filter_json")
    .where("user_id", "=", userId)
    .where("filter_id", "=", filterId)
    .executeTakeFirst();
  return row?.filter_json;
}
