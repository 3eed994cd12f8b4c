import { sql } from "kysely";
import type { JsonValue } from "../../core/json.ts";
import type { Db } from "../database.ts";

/** A user's whole profile as field → value, in key order. */
export async function getProfile(db: Db, userId: string): Promise<Map<string, JsonValue>> {
  const rows = await db
    .selectFrom("profile_fields")
    .select(["field_name", "value"])
    .where("user_id", "=", userId)
    .orderBy("field_name")
    .execute();
  return new Map(rows.map((r) => [r.field_name, r.value as JsonValue]));
}

/** Size of the profile as stored JSON if `field` were set to `valueJson` (the 64 KiB profile limit). */
export async function profileSizeWith(
  db: Db,
  userId: string,
  field: string,
  valueJson: string,
): Promise<number> {
  const row = await db
    .selectFrom("profile_fields")
    .select(
      sql<string>`coalesce(sum(octet_length(field_name) + octet_length(value::text) + 4), 0)`.as("size"),
    )
    .where("user_id", "=", userId)
    .where("field_name", "!=", field)
    .executeTakeFirst();
  return Number(row?.size ?? 0) + Buffer.byteLength(field) + Buffer.byteLength(valueJson) + 4;
}

export async function setProfileField(
  db: Db,
  userId: string,
  field: string,
  value: JsonValue,
  now: number,
): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto("profile_fields")
    .values({ user_id: userId, field_name: field, value: json, updated_ts: now })
    .onConflict((oc) => oc.columns(["user_id", "field_name"]).doUpdateSet({ value: json, updated_ts: now }))
    .execute();
}

export async function deleteProfileField(db: Db, userId: string, field: string): Promise<void> {
  await db
    .deleteFrom("profile_fields")
    .where("user_id", "=", userId)
    .where("field_name", "=", field)
    .execute();
}

/** Whether a local account exists (deactivated ones included: their ids stay reserved). */
export async function localUserExists(db: Db, userId: string): Promise<boolean> {
  const row = await db.selectFrom("users").select("user_id").where("user_id", "=", userId).executeTakeFirst();
  return row !== undefined;
}
