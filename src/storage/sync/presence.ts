import type { Db } from "../database.ts";

export interface PresenceRow {
  userId: string;
  state: string;
  statusMsg: string | null;
  lastActiveTs: number;
  streamId: number;
}

function fromRow(r: {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: string;
  stream_id: string;
}): PresenceRow {
  return {
    userId: r.user_id,
    state: r.state,
    statusMsg: r.status_msg,
    lastActiveTs: Number(r.last_active_ts),
    streamId: Number(r.stream_id),
  };
}

export async function getPresence(db: Db, userId: string): Promise<PresenceRow | undefined> {
  const row = await db.selectFrom("presence").selectAll().where("user_id", "=", userId).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function upsertPresence(db: Db, p: PresenceRow): Promise<void> {
  const row = {
    user_id: p.userId,
    state: p.state,
    status_msg: p.statusMsg,
    last_active_ts: p.lastActiveTs,
    stream_id: p.streamId,
  };
  await db
    .insertInto("presence")
    .values(row)
    .onConflict((oc) =>
      oc.column("user_id").doUpdateSet({
        state: row.state,
        status_msg: row.status_msg,
        last_active_ts: row.last_active_ts,
        stream_id: row.stream_id,
      }),
    )
    .execute();
}

/** Records activity without a new stream position (last_active_ago is computed when read). */
export async function touchLastActive(db: Db, userId: string, now: number): Promise<void> {
  await db.updateTable("presence").set({ last_active_ts: now }).where("user_id", "=", userId).execute();
}

/** Presence of the given users changed in (after, upTo] (all of it up to upTo when `after` is undefined). */
export async function presenceChanges(
  db: Db,
  userIds: readonly string[],
  after: number | undefined,
  upTo: number,
): Promise<PresenceRow[]> {
  if (userIds.length === 0) return [];
  let q = db
    .selectFrom("presence")
    .selectAll()
    .where("user_id", "in", [...new Set(userIds)])
    .where("stream_id", "<=", String(upTo));
  if (after !== undefined) q = q.where("stream_id", ">", String(after));
  const rows = await q.orderBy("stream_id").execute();
  return rows.map(fromRow);
}

export async function maxPresenceStreamId(db: Db): Promise<number> {
  const row = await db
    .selectFrom("presence")
    .select((eb) => eb.fn.max("stream_id").as("max"))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

/** The current presence (as of upTo) of the given users, whenever it last changed. */
export async function presenceOf(db: Db, userIds: readonly string[], upTo: number): Promise<PresenceRow[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom("presence")
    .selectAll()
    .where("user_id", "in", [...new Set(userIds)])
    .where("stream_id", "<=", String(upTo))
    .execute();
  return rows.map(fromRow);
}
