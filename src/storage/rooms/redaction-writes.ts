import type { Db } from "../database.ts";

/**
 * Replaces the stored PDU of `eventId` with its redacted form and records the redaction. Relations
 * go too: the redacted content no longer carries `m.relates_to`.
 */
export async function markRedacted(
  tx: Db,
  eventId: string,
  redactionId: string,
  redactedPdu: string,
): Promise<void> {
  await tx
    .updateTable("events")
    .set({ pdu: redactedPdu, redacted_by: redactionId, relates_to_id: null, relation_type: null })
    .where("event_id", "=", eventId)
    .execute();
}

/** Accepted redaction events that name `targetId`, oldest first (to apply when the target arrives). */
export async function findRedactionsOf(db: Db, targetId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("events")
    .select("event_id")
    .where("redacts", "=", targetId)
    .where("type", "=", "m.room.redaction")
    .where("rejected_reason", "is", null)
    .orderBy("stream_ordering")
    .execute();
  return rows.map((r) => r.event_id);
}
