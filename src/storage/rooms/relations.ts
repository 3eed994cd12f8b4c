import { sql, type Selectable } from "kysely";
import type { Db } from "../database.ts";
import type { EventsTable } from "../schema.ts";
import { storedEventFromRow, type StoredEvent } from "./events.ts";
import type { TimelinePosition } from "./timeline.ts";

/**
 * Relations read from events.relates_to_id / relation_type (filled by the room writer). A child counts
 * only while clients could see it: accepted, not soft-failed, not an outlier, and not redacted (a
 * redaction breaks the relationship, spec "Aggregations of child events").
 */
function liveChildren(db: Db, maxStream: number) {
  return db
    .selectFrom("events as c")
    .where("c.outlier", "=", false)
    .where("c.rejected_reason", "is", null)
    .where("c.soft_failed", "=", false)
    .where("c.redacted_by", "is", null)
    .where("c.stream_ordering", "is not", null)
    .where("c.stream_ordering", "<=", String(maxStream));
}

/**
 * The most recent valid edit of each parent (spec "Validity of replacement events"): same sender and
 * type, neither a state event, the parent not itself an edit, and `m.new_content` present (in the
 * cleartext only for unencrypted events). Most recent: highest origin_server_ts, then event id.
 */
export async function latestEdits(
  db: Db,
  parentIds: readonly string[],
  maxStream: number,
): Promise<Map<string, StoredEvent>> {
  const out = new Map<string, StoredEvent>();
  if (parentIds.length === 0) return out;
  const rows = await liveChildren(db, maxStream)
    .innerJoin("events as p", "p.event_id", "c.relates_to_id")
    .selectAll("c")
    .distinctOn("c.relates_to_id")
    .where("c.relates_to_id", "in", [...new Set(parentIds)])
    .where("c.relation_type", "=", "m.replace")
    .whereRef("c.sender", "=", "p.sender")
    .whereRef("c.type", "=", "p.type")
    .whereRef("c.room_id", "=", "p.room_id")
    .where("c.state_key", "is", null)
    .where("p.state_key", "is", null)
    .where((eb) => eb.or([eb("p.relation_type", "is", null), eb("p.relation_type", "!=", "m.replace")]))
    .where(
      sql<boolean>`(c.type = 'm.room.encrypted' OR jsonb_typeof(c.pdu::jsonb -> 'content' -> 'm.new_content') = 'object')`,
    )
    .orderBy("c.relates_to_id")
    .orderBy("c.origin_server_ts", "desc")
    // The spec's tie-break is the lexicographically largest event id: code point order, whatever the
    // database's collation.
    .orderBy(sql`c.event_id COLLATE "C"`, "desc")
    .execute();
  for (const row of rows) out.set(row.relates_to_id as string, storedEventFromRow(row));
  return out;
}

export interface ThreadSummaryRow {
  count: number;
  participated: boolean;
}

/** Per thread root: number of m.thread children and whether `userId` sent one of them. */
export async function threadSummaries(
  db: Db,
  rootIds: readonly string[],
  userId: string,
  maxStream: number,
  excludeSenders: readonly string[] = [],
): Promise<Map<string, ThreadSummaryRow>> {
  const out = new Map<string, ThreadSummaryRow>();
  if (rootIds.length === 0) return out;
  const rows = await liveChildren(db, maxStream)
    .select([
      "c.relates_to_id",
      (eb) => eb.fn.countAll<string>().as("n"),
      sql<boolean>`bool_or(c.sender = ${userId})`.as("participated"),
    ])
    .where("c.relates_to_id", "in", [...new Set(rootIds)])
    .where("c.relation_type", "=", "m.thread")
    .$if(excludeSenders.length > 0, (q) => q.where("c.sender", "not in", [...excludeSenders]))
    .groupBy("c.relates_to_id")
    .execute();
  for (const row of rows) {
    out.set(row.relates_to_id as string, { count: Number(row.n), participated: row.participated });
  }
  return out;
}

/** The newest (topologically) m.thread children of each root, up to `perRoot` of them, newest first. */
export async function latestThreadEvents(
  db: Db,
  rootIds: readonly string[],
  perRoot: number,
  maxStream: number,
  excludeSenders: readonly string[] = [],
): Promise<Map<string, StoredEvent[]>> {
  const out = new Map<string, StoredEvent[]>();
  if (rootIds.length === 0) return out;
  const rows = await sql<Selectable<EventsTable>>`
    SELECT e.* FROM unnest(${[...new Set(rootIds)]}::text[]) AS r(root_id)
    CROSS JOIN LATERAL (
      SELECT * FROM events c
      WHERE c.relates_to_id = r.root_id AND c.relation_type = 'm.thread'
        AND c.outlier = false AND c.rejected_reason IS NULL AND c.soft_failed = false
        AND c.redacted_by IS NULL AND c.stream_ordering IS NOT NULL
        AND c.stream_ordering <= ${String(maxStream)}::bigint
        AND c.sender <> ALL(${[...excludeSenders]}::text[])
      ORDER BY c.topological_ordering DESC, c.stream_ordering DESC
      LIMIT ${perRoot}
    ) e
  `.execute(db);
  for (const row of rows.rows) {
    const root = row.relates_to_id as string;
    const list = out.get(root) ?? [];
    list.push(storedEventFromRow(row));
    out.set(root, list);
  }
  for (const list of out.values()) {
    list.sort(
      (a, b) =>
        b.topologicalOrdering - a.topologicalOrdering || (b.streamOrdering ?? 0) - (a.streamOrdering ?? 0),
    );
  }
  return out;
}

/** Event ids of the m.reference children of each parent, oldest first. */
export async function referenceChildren(
  db: Db,
  parentIds: readonly string[],
  maxStream: number,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (parentIds.length === 0) return out;
  const rows = await liveChildren(db, maxStream)
    .select(["c.relates_to_id", "c.event_id"])
    .where("c.relates_to_id", "in", [...new Set(parentIds)])
    .where("c.relation_type", "=", "m.reference")
    .orderBy("c.topological_ordering")
    .orderBy("c.stream_ordering")
    .execute();
  for (const row of rows) {
    const parent = row.relates_to_id as string;
    const list = out.get(parent) ?? [];
    list.push(row.event_id);
    out.set(parent, list);
  }
  return out;
}

export interface RelationsQuery {
  roomId: string;
  parentId: string;
  relType?: string;
  eventType?: string;
  /** 1: direct children only; more: children of children too, matching the filters at every level. */
  depth: number;
  dir: "f" | "b";
  /** Exclusive lower bound in topological order. */
  after?: TimelinePosition;
  /** Inclusive upper bound. */
  upTo?: TimelinePosition;
  limit: number;
  maxStream: number;
}

/**
 * Events relating to a parent (/relations), in topological order. With depth > 1 the walk only goes
 * through events that match the rel_type/event_type filters (spec: an event related only through a
 * non-matching intermediate is not included).
 */
export async function relatedEvents(db: Db, q: RelationsQuery): Promise<StoredEvent[]> {
  const relType = q.relType ?? null;
  const eventType = q.eventType ?? null;
  const order = q.dir === "f" ? sql`ASC` : sql`DESC`;
  const after = q.after
    ? sql`AND (e.topological_ordering, e.stream_ordering) > (${String(q.after.topological)}::bigint, ${String(q.after.stream)}::bigint)`
    : sql``;
  const upTo = q.upTo
    ? sql`AND (e.topological_ordering, e.stream_ordering) <= (${String(q.upTo.topological)}::bigint, ${String(q.upTo.stream)}::bigint)`
    : sql``;
  const rows = await sql<Selectable<EventsTable>>`
    WITH RECURSIVE related(event_id, level) AS (
      SELECT c.event_id, 1 FROM events c
      WHERE c.relates_to_id = ${q.parentId} AND c.room_id = ${q.roomId}
        AND (${relType}::text IS NULL OR c.relation_type = ${relType}::text)
        AND (${eventType}::text IS NULL OR c.type = ${eventType}::text)
      UNION
      SELECT c.event_id, r.level + 1 FROM events c JOIN related r ON c.relates_to_id = r.event_id
      WHERE r.level < ${q.depth} AND c.room_id = ${q.roomId}
        AND (${relType}::text IS NULL OR c.relation_type = ${relType}::text)
        AND (${eventType}::text IS NULL OR c.type = ${eventType}::text)
    )
    SELECT DISTINCT e.* FROM events e JOIN related r ON r.event_id = e.event_id
    WHERE e.outlier = false AND e.rejected_reason IS NULL AND e.soft_failed = false
      AND e.redacted_by IS NULL AND e.stream_ordering IS NOT NULL
      AND e.stream_ordering <= ${String(q.maxStream)}::bigint
      ${after} ${upTo}
    ORDER BY e.topological_ordering ${order}, e.stream_ordering ${order}
    LIMIT ${q.limit}
  `.execute(db);
  return rows.rows.map(storedEventFromRow);
}

export interface ThreadRootsQuery {
  roomId: string;
  /** Only threads whose root or a reply was sent by this user. */
  participant?: string;
  /** Inclusive upper bound on the position of a thread's latest reply. */
  upTo?: TimelinePosition;
  limit: number;
  maxStream: number;
}

export interface ThreadRootRow {
  root: StoredEvent;
  /** Where the thread's latest reply sits: what /threads orders and pages by. */
  latest: TimelinePosition;
}

/** Thread roots of a room ordered by their latest reply, newest first (/threads). */
export async function threadRoots(db: Db, q: ThreadRootsQuery): Promise<ThreadRootRow[]> {
  const participant = q.participant ?? null;
  const upTo = q.upTo
    ? sql`WHERE (t.topo, t.stream) <= (${String(q.upTo.topological)}::bigint, ${String(q.upTo.stream)}::bigint)`
    : sql``;
  const rows = await sql<Selectable<EventsTable> & { latest_topo: string; latest_stream: string }>`
    WITH threads AS (
      SELECT DISTINCT ON (c.relates_to_id) c.relates_to_id AS root_id,
        c.topological_ordering AS topo, c.stream_ordering AS stream
      FROM events c
      WHERE c.room_id = ${q.roomId} AND c.relation_type = 'm.thread'
        AND c.outlier = false AND c.rejected_reason IS NULL AND c.soft_failed = false
        AND c.redacted_by IS NULL AND c.stream_ordering IS NOT NULL
        AND c.stream_ordering <= ${String(q.maxStream)}::bigint
      ORDER BY c.relates_to_id, c.topological_ordering DESC, c.stream_ordering DESC
    )
    SELECT p.*, t.topo AS latest_topo, t.stream AS latest_stream
    FROM (SELECT * FROM threads t ${upTo}) t
    JOIN events p ON p.event_id = t.root_id AND p.room_id = ${q.roomId}
    WHERE p.outlier = false AND p.rejected_reason IS NULL AND p.soft_failed = false
      AND (${participant}::text IS NULL OR p.sender = ${participant}::text OR EXISTS (
        SELECT 1 FROM events m WHERE m.relates_to_id = p.event_id AND m.relation_type = 'm.thread'
          AND m.sender = ${participant}::text AND m.rejected_reason IS NULL AND m.soft_failed = false
      ))
    ORDER BY t.topo DESC, t.stream DESC
    LIMIT ${q.limit}
  `.execute(db);
  return rows.rows.map((row) => {
    const { latest_topo, latest_stream, ...event } = row;
    return {
      root: storedEventFromRow(event as Selectable<EventsTable>),
      latest: { topological: Number(latest_topo), stream: Number(latest_stream) },
    };
  });
}

/** Which of `parentIds` have any related child stored (one index probe, so pages without relations stop here). */
export async function parentsWithRelations(db: Db, parentIds: readonly string[]): Promise<Set<string>> {
  if (parentIds.length === 0) return new Set();
  const rows = await db
    .selectFrom("events")
    .select("relates_to_id")
    .distinct()
    .where("relates_to_id", "in", [...parentIds])
    .execute();
  return new Set(rows.map((r) => r.relates_to_id).filter((id): id is string => id !== null));
}
