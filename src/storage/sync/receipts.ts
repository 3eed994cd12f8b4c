import type { Db } from "../database.ts";

/** Unthreaded receipts are stored under this thread id. */
export const UNTHREADED = "";

export interface ReceiptRow {
  roomId: string;
  receiptType: string;
  userId: string;
  /** undefined for an unthreaded receipt. */
  threadId: string | undefined;
  eventId: string;
  ts: number;
  streamId: number;
}

export async function upsertReceipt(db: Db, r: ReceiptRow): Promise<void> {
  const row = {
    room_id: r.roomId,
    receipt_type: r.receiptType,
    user_id: r.userId,
    thread_id: r.threadId ?? UNTHREADED,
    event_id: r.eventId,
    ts: r.ts,
    stream_id: r.streamId,
  };
  await db
    .insertInto("receipts")
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(["room_id", "receipt_type", "user_id", "thread_id"])
        .doUpdateSet({ event_id: row.event_id, ts: row.ts, stream_id: row.stream_id }),
    )
    .execute();
}

function fromRow(r: {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  ts: string;
  stream_id: string;
}): ReceiptRow {
  return {
    roomId: r.room_id,
    receiptType: r.receipt_type,
    userId: r.user_id,
    threadId: r.thread_id === UNTHREADED ? undefined : r.thread_id,
    eventId: r.event_id,
    ts: Number(r.ts),
    streamId: Number(r.stream_id),
  };
}

export async function getReceipt(
  db: Db,
  roomId: string,
  receiptType: string,
  userId: string,
  threadId: string | undefined,
): Promise<ReceiptRow | undefined> {
  const row = await db
    .selectFrom("receipts")
    .selectAll()
    .where("room_id", "=", roomId)
    .where("receipt_type", "=", receiptType)
    .where("user_id", "=", userId)
    .where("thread_id", "=", threadId ?? UNTHREADED)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/**
 * Receipts in the given rooms changed in (after, upTo] (every current one up to upTo when `after` is
 * undefined). Private receipts of users other than `viewer` are never returned.
 */
export async function receiptChanges(
  db: Db,
  roomIds: readonly string[],
  viewer: string,
  after: number | undefined,
  upTo: number,
): Promise<ReceiptRow[]> {
  if (roomIds.length === 0) return [];
  let q = db
    .selectFrom("receipts")
    .selectAll()
    .where("room_id", "in", [...new Set(roomIds)])
    .where("stream_id", "<=", String(upTo))
    .where((eb) => eb.or([eb("receipt_type", "!=", "m.read.private"), eb("user_id", "=", viewer)]));
  if (after !== undefined) q = q.where("stream_id", ">", String(after));
  const rows = await q.orderBy("stream_id").execute();
  return rows.map(fromRow);
}

export async function maxReceiptStreamId(db: Db): Promise<number> {
  const row = await db
    .selectFrom("receipts")
    .select((eb) => eb.fn.max("stream_id").as("max"))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}
