import { sql } from "kysely";
import type { Db } from "../database.ts";

/**
 * The room's backward extremities with a depth in [minDepth, maxDepth], deepest first: timeline events
 * (accepted, not outliers) citing a prev event this server does not hold in its timeline (unknown, or
 * known only as an outlier). Paging back past one of them needs history from another server.
 */
export async function backwardExtremities(
  db: Db,
  roomId: string,
  depths: { min: number; max: number },
  limit: number,
): Promise<{ eventId: string; depth: number }[]> {
  const rows = await sql<{ event_id: string; depth: string }>`
    SELECT DISTINCT e.event_id, e.topological_ordering AS depth
    FROM events e
    JOIN event_edges ed ON ed.event_id = e.event_id
    LEFT JOIN events p ON p.event_id = ed.prev_event_id
    WHERE e.room_id = ${roomId} AND e.outlier = false AND e.rejected_reason IS NULL
      AND e.topological_ordering BETWEEN ${depths.min} AND ${depths.max}
      AND (p.event_id IS NULL OR p.outlier)
    ORDER BY depth DESC
    LIMIT ${limit}
  `.execute(db);
  return rows.rows.map((r) => ({ eventId: r.event_id, depth: Number(r.depth) }));
}

/** `n` fresh stream orderings for backfilled events, most negative first (for the oldest event). */
export async function allocateBackfillOrderings(db: Db, n: number): Promise<number[]> {
  if (n === 0) return [];
  const rows = await sql<{ v: string }>`
    SELECT nextval('backfill_stream_seq') AS v FROM generate_series(1, ${n})
  `.execute(db);
  return rows.rows.map((r) => -Number(r.v)).sort((a, b) => a - b);
}
