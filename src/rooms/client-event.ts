import { isJsonObject, type JsonObject, type JsonValue } from "../core/json.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";

export type EventFormat = "client" | "federation";

export interface ClientEventOptions {
  now: number;
  version: RoomVersion;
  /** Omit room_id inside /sync room sections. */
  includeRoomId?: boolean;
  /** Only for the device that sent the event. */
  transactionId?: string;
  /** Content of the state event this one replaced, with its id. */
  replaces?: { eventId: string; content: JsonObject };
  /** The redaction applied to this event, already in client format. */
  redactedBecause?: JsonObject;
  /** The requesting user's membership at this event (v1.11 unsigned.membership). */
  membership?: string;
  /** Bundled aggregations (edits, reactions, threads) for unsigned.m.relations. */
  relations?: JsonObject;
}

/**
 * The client-server shape of a stored event: federation-only fields dropped, `unsigned` rebuilt from
 * what the server knows (age, transaction id, prev_content, redacted_because). v11+ redactions carry
 * `redacts` in content; clients also get it at the top level, and older versions get it in content.
 */
export function toClientEvent(ev: StoredEvent, opts: ClientEventOptions): JsonObject {
  const pdu = ev.pdu;
  const out: JsonObject = {
    content: pdu.content,
    event_id: ev.eventId,
    origin_server_ts: pdu.origin_server_ts,
    sender: pdu.sender,
    type: pdu.type,
  };
  if (opts.includeRoomId !== false) out.room_id = ev.roomId;
  if (typeof pdu.state_key === "string") out.state_key = pdu.state_key;
  if (pdu.type === "m.room.redaction") {
    const redacts: JsonValue | undefined = opts.version.updatedRedactionRules
      ? pdu.content.redacts
      : pdu.redacts;
    if (typeof redacts === "string") {
      out.redacts = redacts;
      if (!opts.version.updatedRedactionRules) out.content = { ...pdu.content, redacts };
    }
  }
  const unsigned: JsonObject = { age: Math.max(0, opts.now - pdu.origin_server_ts) };
  if (opts.transactionId !== undefined) unsigned.transaction_id = opts.transactionId;
  if (opts.replaces) {
    unsigned.replaces_state = opts.replaces.eventId;
    unsigned.prev_content = opts.replaces.content;
  }
  if (opts.redactedBecause) unsigned.redacted_because = opts.redactedBecause;
  if (opts.membership !== undefined) unsigned.membership = opts.membership;
  if (opts.relations && Object.keys(opts.relations).length > 0) unsigned["m.relations"] = opts.relations;
  // Invites received over federation carry stripped room state the client needs.
  const pduUnsigned = pdu.unsigned;
  if (isJsonObject(pduUnsigned) && Array.isArray(pduUnsigned.invite_room_state)) {
    unsigned.invite_room_state = pduUnsigned.invite_room_state;
  }
  out.unsigned = unsigned;
  return out;
}

/** Federation format for `event_format: federation` filters: the PDU with event_id and unsigned age. */
export function toFederationFormatEvent(ev: StoredEvent, now: number): JsonObject {
  const { event_id: _id, ...pdu } = ev.pdu;
  return { ...pdu, event_id: ev.eventId, unsigned: { age: Math.max(0, now - ev.pdu.origin_server_ts) } };
}
