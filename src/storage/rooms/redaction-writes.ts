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
