import { randomBytes } from "node:crypto";
import { eventReference } from "../core/event-reference.ts";
import { hashSignAndIdentify } from "../core/hashes.ts";
import type { JsonObject } from "../core/json.ts";
import type { IdentifiedPdu, Pdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { SigningKey } from "../core/signing.ts";

/** What a local writer asks for; everything else about the event is the builder's business. */
export interface EventDraft {
  type: string;
  /** Present for state events. */
  stateKey?: string;
  content: JsonObject;
  /** Top-level `redacts` of m.room.redaction before room v11 (v11+ keeps it in content). */
  redacts?: string;
  /** Not hashed or signed: e.g. invite_room_state on invites. */
  unsigned?: JsonObject;
}

export interface BuildInput {
  version: RoomVersion;
  /** Undefined only for a v12 create event, whose id names the room. */
  roomId: string | undefined;
  sender: string;
  draft: EventDraft;
  prevEvents: readonly IdentifiedPdu[];
  authEvents: readonly IdentifiedPdu[];
  originServerTs: number;
  serverName: string;
  key: SigningKey;
}

/**
 * A signed local PDU: depth one past its deepest prev event, prev and auth references in the room
 * version's format, content hash, this server's signature, and the event id (v1/v2: chosen here).
 */
export function buildEvent(input: BuildInput): IdentifiedPdu {
  const { version, draft } = input;
  const depth = input.prevEvents.reduce((max, ev) => Math.max(max, ev.depth), 0) + 1;
  const pdu: Pdu = {
    auth_events: input.authEvents.map((ev) => eventReference(version, ev)),
    content: draft.content,
    depth,
    origin_server_ts: input.originServerTs,
    prev_events: input.prevEvents.map((ev) => eventReference(version, ev)),
    sender: input.sender,
    type: draft.type,
  };
  if (input.roomId !== undefined) pdu.room_id = input.roomId;
  if (draft.stateKey !== undefined) pdu.state_key = draft.stateKey;
  if (draft.redacts !== undefined) pdu.redacts = draft.redacts;
  if (draft.unsigned !== undefined) pdu.unsigned = draft.unsigned;
  if (version.eventIdFormat === "v1") {
    pdu.event_id = `$${randomBytes(18).toString("base64url")}:${input.serverName}`;
  }
  const { pdu: signed, eventId } = hashSignAndIdentify(pdu, version, input.serverName, input.key);
  return { ...signed, event_id: eventId };
}

/** The PDU as it travels and is stored: v3+ PDUs do not carry their (derived) event id. */
export function federationPdu(version: RoomVersion, ev: IdentifiedPdu): Pdu {
  if (version.eventIdFormat === "v1") return ev;
  const { event_id: _id, ...pdu } = ev;
  return pdu as Pdu;
}
