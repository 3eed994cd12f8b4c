import { parseJson } from "../../core/canonical-json.ts";
import { isJsonObject } from "../../core/json.ts";
import type { IdentifiedPdu } from "../../core/pdu.ts";
import type { Db } from "../database.ts";
import type { EventsTable } from "../schema.ts";
import type { Selectable } from "kysely";

/** An event as stored, with its PDU parsed (losslessly) and its event id attached. */
export interface StoredEvent {
  eventId: string;
  roomId: string;
  pdu: IdentifiedPdu;
  streamOrdering: number | null;
  topologicalOrdering: number;
  outlier: boolean;
  rejectedReason: string | null;
  softFailed: boolean;
  redactedBy: string | null;
  stateGroupBefore: number | null;
  stateGroupAfter: number | null;
  /** Whether any stored event relates to this one, where the read that loaded it asked (else unknown). */
  hasRelations?: boolean;
  /**
   * The client transaction id it was sent with, for the device the read was for, where the read
   * asked (null: sent otherwise); else unknown.
   */
  transactionId?: string | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

/** A PDU as stored (canonical JSON text) parsed the way every read parses it, with its event id. */
export function parseStoredPdu(eventId: string, text: string): IdentifiedPdu {
  const parsed = parseJson(text);
  if (!isJsonObject(parsed)) throw new Error(`stored PDU of ${eventId} is not an object`);
  return { ...parsed, event_id: eventId } as IdentifiedPdu;
}

export function storedEventFromRow(row: Selectable<EventsTable>): StoredEvent {
  const pdu = parseStoredPdu(row.event_id, row.pdu);
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    pdu,
    streamOrdering: num(row.stream_ordering),
    topologicalOrdering: Number(row.topological_ordering),
    outlier: row.outlier,
    rejectedReason: row.rejected_reason,
    softFailed: row.soft_failed,
    redactedBy: row.redacted_by,
    stateGroupBefore: num(row.state_group_before),
    stateGroupAfter: num(row.state_group_after),
  };
}

export async function getEvent(db: Db, eventId: string): Promise<StoredEvent | undefined> {
  const row = await db.selectFrom("events").selectAll().where("event_id", "=", eventId).executeTakeFirst();
  return row ? storedEventFromRow(row) : undefined;
}

/** The stored events among `eventIds` (missing ones are simply absent from the map). */
export async function getEvents(db: Db, eventIds: readonly string[]): Promise<Map<string, StoredEvent>> {
  const found = new Map<string, StoredEvent>();
  if (eventIds.length === 0) return found;
  const rows = await db
    .selectFrom("events")
    .selectAll()
    .where("event_id", "in", [...new Set(eventIds)])
    .execute();
  for (const row of rows) found.set(row.event_id, storedEventFromRow(row));
  return found;
}
