import type { Db } from "../database.ts";

export interface NewEventRow {
  eventId: string;
  roomId: string;
  streamOrdering: number | null;
  depth: number;
  type: string;
  stateKey: string | undefined;
  sender: string;
  originServerTs: number;
  /** The PDU as stored (canonical JSON text). */
  pdu: string;
  outlier: boolean;
  rejectedReason: string | null;
  softFailed: boolean;
  stateGroupBefore: number | null;
  stateGroupAfter: number | null;
  relatesToId: string | null;
  relationType: string | null;
  redacts: string | null;
  prevEventIds: readonly string[];
  authEventIds: readonly string[];
  createdTs: number;
}

/** Inserts the event row with its prev and auth edges. */
export async function insertEvent(tx: Db, ev: NewEventRow): Promise<void> {
  await tx
    .insertInto("events")
    .values({
      event_id: ev.eventId,
      room_id: ev.roomId,
      stream_ordering: ev.streamOrdering,
      topological_ordering: ev.depth,
      type: ev.type,
      state_key: ev.stateKey ?? null,
      sender: ev.sender,
      origin_server_ts: ev.originServerTs,
      pdu: ev.pdu,
      outlier: ev.outlier,
      rejected_reason: ev.rejectedReason,
      soft_failed: ev.softFailed,
      state_group_before: ev.stateGroupBefore,
      state_group_after: ev.stateGroupAfter,
      relates_to_id: ev.relatesToId,
      relation_type: ev.relationType,
      redacts: ev.redacts,
      created_ts: ev.createdTs,
    })
    .execute();
  const prevs = [...new Set(ev.prevEventIds)];
  if (prevs.length > 0) {
    await tx
      .insertInto("event_edges")
      .values(prevs.map((p) => ({ event_id: ev.eventId, prev_event_id: p })))
      .execute();
  }
  const auths = [...new Set(ev.authEventIds)];
  if (auths.length > 0) {
    await tx
      .insertInto("event_auth_edges")
      .values(auths.map((a) => ({ event_id: ev.eventId, auth_event_id: a })))
      .execute();
  }
}

/** Whether the event is stored at all (any status). */
export async function eventExists(db: Db, eventId: string): Promise<boolean> {
  const row = await db
    .selectFrom("events")
    .select("event_id")
    .where("event_id", "=", eventId)
    .executeTakeFirst();
  return row !== undefined;
}
