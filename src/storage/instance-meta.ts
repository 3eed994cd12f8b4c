import type { Db } from "./database.ts";

export async function getInstanceMeta(db: Db, key: string): Promise<unknown> {
  const row = await db.selectFrom("instance_meta").select("value").where("key", "=", key).executeTakeFirst();
  return row?.value;
}

/** Sets the value only when the key is new; returns the value now stored. */
export async function initInstanceMeta(db: Db, key: string, value: unknown): Promise<unknown> {
  await db
    .insertInto("instance_meta")
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
  return getInstanceMeta(db, key);
}

export async function setInstanceMeta(db: Db, key: string, value: unknown): Promise<void> {
  await db
    .insertInto("instance_meta")
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(value) }))
    .execute();
}

export async function deleteInstanceMeta(db: Db, key: string): Promise<void> {
  await db.deleteFrom("instance_meta").where("key", "=", key).execute();
}
