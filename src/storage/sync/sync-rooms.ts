import { sql, type Selectable } from "kysely";
import type { Db } from "../database.ts";
import { storedEventFromRow, type StoredEvent } from "../rooms/events.ts";
import type { EventsTable } from "../schema.ts";
import { timelineEventsQuery } from "../rooms/timeline.ts";

/**
 * Room reads for /sync. Everything is bounded above by the caller's snapshot of the events stream's
 * persisted-up-to position, so one sync never sees a position a concurrent writer has not finished.
 */

export interface MembershipAt {
  roomId: string;
  membership: string;
  eventId: string;
  /** null for memberships known without a stream position (e.g. invites received as outliers). */
  streamOrdering: number | null;
  forgotten: boolean;
}

const toNum = (v: string | null): number | null => (v === null ? null : Number(v));

/**
 * The user's membership in every room as of stream position `upTo`. Current state is the truth (state
 * resolution may have overruled a later member event); where its row is newer than `upTo`, the latest
 * member event at or before `upTo` stands in.
 */
export async function membershipsAt(
  db: Db,
  userId: string,
  upTo: number,
): Promise<Map<string, MembershipAt>> {
  const current = await db
    .selectFrom("current_memberships")
    .select(["room_id", "membership", "event_id", "stream_ordering", "forgotten"])
    .where("user_id", "=", userId)
    .execute();
  return membershipsFromCurrent(db, userId, current, upTo);
}

export interface MembershipsAndChanges {
  now: Map<string, MembershipAt>;
  changes: MembershipChange[];
  departed: string[];
}

export interface MembershipWindow {
  userId: string;
  after: number;
  upTo: number;
}

/**
 * What an incremental sync reads about memberships, for several windows (of one user or many, answered
 * in order) in one round trip (on a busy server the per-query syscalls, not the index lookups, are
 * what a sync costs): membershipsAt(upTo), membershipChanges(after, upTo), and `departed`: users
 * whose membership in any room the user is or was in during the window became something other than
 * join in (after, upTo] (device_lists.left candidates, see usersWithMembershipChanges). Its room set
 * covers the joined-at-upTo and changed-in-window rooms device-lists.ts asks about without knowing the
 * membership at upTo, so it adds the rooms whose current row is newer than upTo (a write racing the
 * snapshot); a candidate from those who shares no room with the user is reported as left, which only
 * tells the client to stop tracking someone it need not track.
 */
export async function membershipsAndChangesMany(
  db: Db,
  windows: readonly MembershipWindow[],
): Promise<MembershipsAndChanges[]> {
  if (windows.length === 0) return [];
  const rows = await sql<CurrentRow & { i: string; kind: number; user_id: string | null }>`
    WITH q AS (
      SELECT * FROM unnest(
        ${windows.map((w) => w.userId)}::text[],
        ${windows.map((w) => String(w.after))}::bigint[],
        ${windows.map((w) => String(w.upTo))}::bigint[]
      ) WITH ORDINALITY AS q(user_id, after, up_to, i)
    )
    SELECT q.i, 0 AS kind, c.room_id, c.membership, c.event_id, c.stream_ordering, c.forgotten,
      NULL::text AS user_id
    FROM q JOIN current_memberships c ON c.user_id = q.user_id
    UNION ALL
    SELECT q.i, 1, m.room_id, m.membership, m.event_id, m.stream_ordering, false, NULL
    FROM q JOIN room_memberships m ON m.user_id = q.user_id
      AND m.stream_ordering > q.after AND m.stream_ordering <= q.up_to
    UNION ALL
    SELECT DISTINCT q.i, 2, NULL, NULL, NULL, NULL::bigint, false, rm.user_id
    FROM q
    CROSS JOIN LATERAL (
      SELECT room_id FROM current_memberships
      WHERE user_id = q.user_id AND (membership = 'join' OR stream_ordering > q.up_to)
      UNION
      SELECT room_id FROM room_memberships
      WHERE user_id = q.user_id AND stream_ordering > q.after AND stream_ordering <= q.up_to
    ) mine
    JOIN events e ON e.room_id = mine.room_id AND e.type = 'm.room.member'
      AND e.stream_ordering > q.after AND e.stream_ordering <= q.up_to
    JOIN room_memberships rm ON rm.event_id = e.event_id AND rm.membership <> 'join'
    ORDER BY 1, 2, 6, 8
  `.execute(db);
  const byWindow = windows.map(() => ({
    current: [] as CurrentRow[],
    changes: [] as MembershipChange[],
    departed: [] as string[],
  }));
  for (const r of rows.rows) {
    const into = byWindow[Number(r.i) - 1]!;
    if (r.kind === 0) into.current.push(r);
    else if (r.kind === 1)
      into.changes.push({
        roomId: r.room_id,
        membership: r.membership,
        eventId: r.event_id,
        streamOrdering: Number(r.stream_ordering),
      });
    else if (r.user_id !== null) into.departed.push(r.user_id);
  }
  return Promise.all(
    byWindow.map(async (w, i) => ({
      now: await membershipsFromCurrent(db, windows[i]!.userId, w.current, windows[i]!.upTo),
      changes: w.changes,
      departed: w.departed,
    })),
  );
}

interface CurrentRow {
  room_id: string;
  membership: string;
  event_id: string;
  stream_ordering: string | null;
  forgotten: boolean;
}

async function membershipsFromCurrent(
  db: Db,
  userId: string,
  current: readonly CurrentRow[],
  upTo: number,
): Promise<Map<string, MembershipAt>> {
  const out = new Map<string, MembershipAt>();
  const tooNew: string[] = [];
  for (const r of current) {
    const stream = toNum(r.stream_ordering);
    if (stream !== null && stream > upTo) {
      tooNew.push(r.room_id);
      continue;
    }
    out.set(r.room_id, {
      roomId: r.room_id,
      membership: r.membership,
      eventId: r.event_id,
      streamOrdering: stream,
      forgotten: r.forgotten,
    });
  }
  for (const [roomId, m] of await membershipsAtStream(db, userId, tooNew, upTo)) out.set(roomId, m);
  return out;
}

/** The user's latest member event at or before `at` in each of `roomIds` (absent: none yet). */
export async function membershipsAtStream(
  db: Db,
  userId: string,
  roomIds: readonly string[],
  at: number,
): Promise<Map<string, MembershipAt>> {
  const out = new Map<string, MembershipAt>();
  if (roomIds.length === 0) return out;
  const rows = await sql<{ room_id: string; membership: string; event_id: string; stream_ordering: string }>`
    SELECT DISTINCT ON (room_id) room_id, membership, event_id, stream_ordering
    FROM room_memberships
    WHERE user_id = ${userId} AND room_id = ANY(${[...new Set(roomIds)]}::text[])
      AND stream_ordering IS NOT NULL AND stream_ordering <= ${at}
    ORDER BY room_id, stream_ordering DESC
  `.execute(db);
  for (const r of rows.rows) {
    out.set(r.room_id, {
      roomId: r.room_id,
      membership: r.membership,
      eventId: r.event_id,
      streamOrdering: Number(r.stream_ordering),
      forgotten: false,
    });
  }
  return out;
}

export interface MembershipChange {
  roomId: string;
  membership: string;
  eventId: string;
  streamOrdering: number;
}

/** The user's own member events in (after, upTo], oldest first. */
export async function membershipChanges(
  db: Db,
  userId: string,
  after: number,
  upTo: number,
): Promise<MembershipChange[]> {
  const rows = await db
    .selectFrom("room_memberships")
    .select(["room_id", "membership", "event_id", "stream_ordering"])
    .where("user_id", "=", userId)
    .where("stream_ordering", ">", String(after))
    .where("stream_ordering", "<=", String(upTo))
    .orderBy("stream_ordering")
    .execute();
  return rows.map((r) => ({
    roomId: r.room_id,
    membership: r.membership,
    eventId: r.event_id,
    streamOrdering: Number(r.stream_ordering),
  }));
}

/** Which of `roomIds` have events in (after, upTo]. */
export async function roomsWithEventsIn(
  db: Db,
  roomIds: readonly string[],
  after: number,
  upTo: number,
): Promise<Set<string>> {
  if (roomIds.length === 0 || upTo <= after) return new Set();
  const rows = await sql<{ room_id: string }>`
    SELECT r.room_id FROM unnest(${[...new Set(roomIds)]}::text[]) AS r(room_id)
    WHERE EXISTS (
      SELECT 1 FROM events e
      WHERE e.room_id = r.room_id AND e.stream_ordering > ${after} AND e.stream_ordering <= ${upTo}
    )
  `.execute(db);
  return new Set(rows.rows.map((r) => r.room_id));
}

/**
 * Up to `limit` timeline events of the room with stream ordering in (after, upTo], newest first. Sync
 * orders by arrival (stream), not by depth (spec: "ordered according to the arrival time").
 */
export async function streamEventsDesc(
  db: Db,
  roomId: string,
  after: number | undefined,
  upTo: number,
  limit: number,
): Promise<StoredEvent[]> {
  let q = timelineEventsQuery(db, roomId).where("stream_ordering", "<=", String(upTo));
  if (after !== undefined) q = q.where("stream_ordering", ">", String(after));
  const rows: Selectable<EventsTable>[] = await q.orderBy("stream_ordering", "desc").limit(limit).execute();
  return rows.map(storedEventFromRow);
}

export interface StreamWindow {
  roomId: string;
  after?: number;
  upTo: number;
  limit: number;
  /**
   * Also report the state group after the newest timeline event at or before `after` (the state a
   * client synced up to `after` has), if the window has any event at all.
   */
  boundary?: boolean;
}

export interface StreamWindowRows {
  /** Newest first. */
  events: StoredEvent[];
  /** The state group at `after`, for windows that asked and have events. */
  boundary?: number;
}

/** Below every stream ordering (backfilled events have negative ones). */
const MIN_BIGINT = "-9223372036854775808";

/**
 * streamEventsDesc for many windows (of many rooms, and of many readers: concurrent syncs share the
 * query) in one query, one index range scan each, with the state group each asking window's delta
 * starts from: incremental syncs need both, and one round trip is cheaper than two. Answers in order.
 */
export async function streamEventsDescMany(
  db: Db,
  windows: readonly (StreamWindow & {
    /** The reading device: each of its own events comes with the client's transaction id, if any. */
    reader: { userId: string; deviceId: string };
  })[],
): Promise<StreamWindowRows[]> {
  const out: StreamWindowRows[] = windows.map(() => ({ events: [] }));
  if (windows.length === 0) return out;
  const timeline = sql`outlier = false AND rejected_reason IS NULL AND soft_failed = false AND stream_ordering IS NOT NULL`;
  const rows = await sql<
    Selectable<EventsTable> & { i: string; boundary: boolean; has_relations: boolean; txn_id: string | null }
  >`
    WITH w AS (
      SELECT * FROM unnest(
        ${windows.map((w) => w.roomId)}::text[],
        ${windows.map((w) => (w.after === undefined ? null : String(w.after)))}::bigint[],
        ${windows.map((w) => String(w.upTo))}::bigint[],
        ${windows.map((w) => w.limit)}::int[],
        ${windows.map((w) => w.boundary === true)}::boolean[],
        ${windows.map((w) => w.reader.userId)}::text[],
        ${windows.map((w) => w.reader.deviceId)}::text[]
      ) WITH ORDINALITY AS w(room_id, after, up_to, lim, boundary, reader, device, i)
    )
    SELECT w.i, e.*, false AS boundary,
      EXISTS (SELECT 1 FROM events r WHERE r.relates_to_id = e.event_id) AS has_relations,
      CASE WHEN e.sender = w.reader THEN (
        SELECT t.txn_id FROM event_txn_ids t
        WHERE t.event_id = e.event_id AND t.user_id = w.reader AND t.device_id = w.device
        LIMIT 1
      ) END AS txn_id
    FROM w
    CROSS JOIN LATERAL (
      SELECT * FROM events
      WHERE room_id = w.room_id AND ${timeline} AND stream_ordering <= w.up_to
        -- Not "after IS NULL OR …": a bound the index scan can stop at, or it reads the room's whole history.
        AND stream_ordering > COALESCE(w.after, ${MIN_BIGINT}::bigint)
      ORDER BY stream_ordering DESC
      LIMIT w.lim
    ) e
    UNION ALL
    SELECT w.i, b.*, true AS boundary, false AS has_relations, NULL::text AS txn_id FROM w
    -- A probe per window, not EXISTS: that may be planned as a semi-join reading every event.
    CROSS JOIN LATERAL (
      SELECT 1 FROM events x
      WHERE x.room_id = w.room_id AND x.stream_ordering > w.after AND x.stream_ordering <= w.up_to
      LIMIT 1
    ) news
    CROSS JOIN LATERAL (
      SELECT * FROM events
      WHERE room_id = w.room_id AND ${timeline} AND stream_ordering <= w.after
        AND state_group_after IS NOT NULL
      ORDER BY stream_ordering DESC
      LIMIT 1
    ) b
    WHERE w.boundary AND w.after IS NOT NULL
  `.execute(db);
  for (const row of rows.rows) {
    const into = out[Number(row.i) - 1]!;
    if (row.boundary) {
      // Only its state group is wanted: no need to parse the event.
      if (row.state_group_after !== null) into.boundary = Number(row.state_group_after);
      continue;
    }
    into.events.push({
      ...storedEventFromRow(row),
      hasRelations: row.has_relations,
      transactionId: row.txn_id,
    });
  }
  // A UNION keeps no order: each window's rows go back to newest first here.
  for (const w of out) w.events.sort((a, b) => (b.streamOrdering ?? 0) - (a.streamOrdering ?? 0));
  return out;
}

/** The room's newest timeline event at or before stream position `at`: its state_group_after is the room's state then. */
export async function latestEventAtStream(
  db: Db,
  roomId: string,
  at: number,
): Promise<StoredEvent | undefined> {
  const row = await timelineEventsQuery(db, roomId)
    .where("stream_ordering", "<=", String(at))
    .where("state_group_after", "is not", null)
    .orderBy("stream_ordering", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? storedEventFromRow(row) : undefined;
}

export interface RoomSummaryRow {
  joined: number;
  invited: number;
  /** Up to 5 joined or invited members other than the user, in stream order. */
  heroes: string[];
  /** Up to 5 left or banned members, for rooms with nobody else joined or invited. */
  formerHeroes: string[];
}

/** Member counts and hero candidates per room (current state). */
export async function roomSummaries(
  db: Db,
  roomIds: readonly string[],
  userId: string,
): Promise<Map<string, RoomSummaryRow>> {
  const out = new Map<string, RoomSummaryRow>();
  if (roomIds.length === 0) return out;
  const ids = [...new Set(roomIds)];
  for (const id of ids) out.set(id, { joined: 0, invited: 0, heroes: [], formerHeroes: [] });
  const [counts, heroes] = await Promise.all([
    sql<{ room_id: string; membership: string; n: string }>`
      SELECT room_id, membership, count(*) AS n FROM current_memberships
      WHERE room_id = ANY(${ids}::text[]) AND membership IN ('join', 'invite')
      GROUP BY room_id, membership
    `.execute(db),
    sql<{ room_id: string; user_id: string; membership: string }>`
      SELECT room_id, user_id, membership FROM (
        SELECT room_id, user_id, membership,
          row_number() OVER (
            PARTITION BY room_id, membership IN ('join', 'invite')
            ORDER BY stream_ordering NULLS LAST, user_id
          ) AS n
        FROM current_memberships
        WHERE room_id = ANY(${ids}::text[]) AND user_id <> ${userId}
          AND membership IN ('join', 'invite', 'leave', 'ban')
      ) ranked
      WHERE n <= 5
      ORDER BY room_id, n
    `.execute(db),
  ]);
  for (const r of counts.rows) {
    const s = out.get(r.room_id);
    if (!s) continue;
    if (r.membership === "join") s.joined = Number(r.n);
    else s.invited = Number(r.n);
  }
  for (const r of heroes.rows) {
    const s = out.get(r.room_id);
    if (!s) continue;
    if (r.membership === "join" || r.membership === "invite") s.heroes.push(r.user_id);
    else s.formerHeroes.push(r.user_id);
  }
  return out;
}
