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

/** The new event replaces the extremities it cites (those that are extremities at all). */
export async function replaceForwardExtremities(
  tx: Db,
  roomId: string,
  cited: readonly string[],
  added: string | undefined,
): Promise<void> {
  if (cited.length > 0) {
    await tx
      .deleteFrom("forward_extremities")
      .where("room_id", "=", roomId)
      .where("event_id", "in", [...cited])
      .execute();
  }
  if (added !== undefined) {
    await tx
      .insertInto("forward_extremities")
      .values({ room_id: roomId, event_id: added })
      .onConflict((oc) => oc.columns(["room_id", "event_id"]).doNothing())
      .execute();
  }
}

/** Whether a stored event already cites `eventId` as a prev event (then it is no extremity). */
export async function hasSuccessor(db: Db, eventId: string): Promise<boolean> {
  const row = await db
    .selectFrom("event_edges")
    .select("event_id")
    .where("prev_event_id", "=", eventId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
