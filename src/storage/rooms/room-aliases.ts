import type { Db } from "../database.ts";

/** The room a local alias points to. */
export async function getAliasRoomId(db: Db, alias: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("room_aliases")
    .select("room_id")
    .where("room_alias", "=", alias)
    .executeTakeFirst();
  return row?.room_id;
}

/** Creates a local alias; false when it is taken. */
export async function insertAlias(
  tx: Db,
  a: { alias: string; roomId: string; creator: string; createdTs: number },
): Promise<boolean> {
  const res = await tx
    .insertInto("room_aliases")
    .values({ room_alias: a.alias, room_id: a.roomId, creator: a.creator, created_ts: a.createdTs })
    .onConflict((oc) => oc.column("room_alias").doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
}
