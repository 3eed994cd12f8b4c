import type { Db } from "../database.ts";

export interface Extremity {
  eventId: string;
  depth: number;
  streamOrdering: number | null;
}

/** The room's forward extremities, deepest (then most recent) first. */
export async function getForwardExtremities(db: Db, roomId: string): Promise<Extremity[]> {
  const rows = await db
    .selectFrom("forward_extremities as f")
    .innerJoin("events as e", "e.event_id", "f.event_id")
    .select(["f.event_id", "e.topological_ordering", "e.stream_ordering"])
    .where("f.room_id", "=", roomId)
    .orderBy("e.topological_ordering", "desc")
    .orderBy("e.stream_ordering", "desc")
    .execute();
  return rows.map((r) => ({
    eventId: r.event_id,
    depth: Number(r.topological_ordering),
    streamOrdering: r.stream_ordering === null ? null : Number(r.stream_ordering),
  }));
}
