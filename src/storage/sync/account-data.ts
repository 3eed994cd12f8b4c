import type { Db } from "../database.ts";

/** Global account data is stored under this room id. */
export const GLOBAL_ROOM = "";

export interface AccountDataRow {
  /** undefined for global account data. */
  roomId: string | undefined;
  type: string;
  /** The content as JSON text. */
  content: string;
  streamId: number;
}

export async function upsertAccountData(
  db: Db,
  userId: string,
  roomId: string | undefined,
  type: string,
  content: string,
  streamId: number,
): Promise<void> {
  await db
    .insertInto("account_data")
    .values({ user_id: userId, room_id: roomId ?? GLOBAL_ROOM, type, content, stream_id: streamId })
    .onConflict((oc) =>
      oc.columns(["user_id", "room_id", "type"]).doUpdateSet({ content, stream_id: streamId }),
    )
    .execute();
}

/**
 * Makes sure the row exists and locks it until the transaction ends, so a read-modify-write cannot
 * race another one, not even the first write of the type (a plain SELECT … FOR UPDATE locks nothing
 * when the row is missing). A new row gets `{}` at `streamId`; the caller then overwrites it.
 */
export async function lockAccountData(
  trx: Db,
  userId: string,
  roomId: string | undefined,
  type: string,
  streamId: number,
): Promise<string> {
  await trx
    .insertInto("account_data")
    .values({ user_id: userId, room_id: roomId ?? GLOBAL_ROOM, type, content: "{}", stream_id: streamId })
    .onConflict((oc) => oc.columns(["user_id", "room_id", "type"]).doNothing())
    .execute();
  const row = await trx
    .selectFrom("account_data")
    .select("content")
    .where("user_id", "=", userId)
    .where("room_id", "=", roomId ?? GLOBAL_ROOM)
    .where("type", "=", type)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return row.content;
}

export async function getAccountData(
  db: Db,
  userId: string,
  roomId: string | undefined,
  type: string,
): Promise<string | undefined> {
  const q = db
    .selectFrom("account_data")
    .select("content")
    .where("user_id", "=", userId)
    .where("room_id", "=", roomId ?? GLOBAL_ROOM)
    .where("type", "=", type);
  return (await q.executeTakeFirst())?.content;
}

/**
 * The user's account data changed in (after, upTo] (all of it up to upTo when `after` is undefined),
 * global and per room, in stream order.
 */
export async function accountDataChanges(
  db: Db,
  userId: string,
  after: number | undefined,
  upTo: number,
): Promise<AccountDataRow[]> {
  let q = db
    .selectFrom("account_data")
    .select(["room_id", "type", "content", "stream_id"])
    .where("user_id", "=", userId)
    .where("stream_id", "<=", String(upTo));
  if (after !== undefined) q = q.where("stream_id", ">", String(after));
  const rows = await q.orderBy("stream_id").execute();
  return rows.map((r) => ({
    roomId: r.room_id === GLOBAL_ROOM ? undefined : r.room_id,
    type: r.type,
    content: r.content,
    streamId: Number(r.stream_id),
  }));
}

export async function maxAccountDataStreamId(db: Db): Promise<number> {
  const row = await db
    .selectFrom("account_data")
    .select((eb) => eb.fn.max("stream_id").as("max"))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

/** All of the user's account data in the given rooms, up to upTo (rooms a sync shows in full). */
export async function roomAccountData(
  db: Db,
  userId: string,
  roomIds: readonly string[],
  upTo: number,
): Promise<AccountDataRow[]> {
  if (roomIds.length === 0) return [];
  const rows = await db
    .selectFrom("account_data")
    .select(["room_id", "type", "content", "stream_id"])
    .where("user_id", "=", userId)
    .where("room_id", "in", [...new Set(roomIds)])
    .where("stream_id", "<=", String(upTo))
    .orderBy("stream_id")
    .execute();
  return rows.map((r) => ({
    roomId: r.room_id,
    type: r.type,
    content: r.content,
    streamId: Number(r.stream_id),
  }));
}
