import { EventFormatError, assertValidPdu, checkEventSize } from "../../core/event-format.ts";
import { checkContentHash, identifyPdu, roomIdFromCreateEvent } from "../../core/hashes.ts";
import { isJsonObject, type JsonValue } from "../../core/json.ts";
import type { IdentifiedPdu, Pdu } from "../../core/pdu.ts";
import { redactEvent } from "../../core/redaction.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import type { Keyring } from "../contracts.ts";

/** A PDU that fails the checks before auth (format, size, signatures): it is not stored at all. */
export class DroppedPduError extends Error {}

export interface CheckedPdu {
  event: IdentifiedPdu;
  /** The content hash did not match: `event` is the redacted form, as the spec requires. */
  redacted: boolean;
  /** Set when the event must be kept but rejected (an id over 255 bytes in a lenient room version). */
  rejectedReason?: string;
}

/** The room a PDU claims to be in (v12 create events name it through their own id). */
export function claimedRoomId(raw: JsonValue): string | undefined {
  if (!isJsonObject(raw)) return undefined;
  if (typeof raw.room_id === "string") return raw.room_id;
  if (raw.type === "m.room.create") {
    try {
      return roomIdFromCreateEvent(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Steps 1–3 of the spec's checks on a received PDU: the room version's format and size limits, the
 * signatures the version requires (through the keyring), then the content hash, replacing the event
 * with its redacted form on mismatch. `unsigned` is dropped: it is the sender's say-so, not signed.
 */
export async function checkReceivedPdu(
  keyring: Keyring,
  raw: JsonValue,
  version: RoomVersion,
  roomId: string,
): Promise<CheckedPdu> {
  if (!isJsonObject(raw)) throw new DroppedPduError("PDU is not an object");
  const { unsigned: _unsigned, ...signed } = raw;
  let pdu: Pdu;
  try {
    assertValidPdu(signed, version);
    pdu = signed;
  } catch (e) {
    if (e instanceof EventFormatError) throw new DroppedPduError(`invalid PDU: ${e.message}`);
    throw e;
  }
  if (claimedRoomId(pdu) !== roomId) throw new DroppedPduError("PDU is not in this room");
  let event: IdentifiedPdu;
  try {
    event = identifyPdu(pdu, version);
  } catch (e) {
    throw new DroppedPduError(`PDU has no valid event id: ${(e as Error).message}`);
  }
  const size = checkEventSize(pdu, version, event.event_id);
  if (size?.drop) throw new DroppedPduError(`PDU ${size.field} too large (${size.actual} > ${size.limit})`);
  try {
    await keyring.verifyEventSignatures(pdu, version);
  } catch (e) {
    // Unknown keys and unreachable key servers drop the event too: it cannot be trusted yet.
    throw new DroppedPduError(`signature check failed: ${(e as Error).message}`);
  }
  const out: CheckedPdu = { event, redacted: false };
  if (!checkContentHash(pdu, version)) {
    out.event = { ...(redactEvent(pdu, version) as Pdu), event_id: event.event_id };
    out.redacted = true;
  }
  if (size) out.rejectedReason = `${size.field} is longer than ${size.limit} bytes`;
  return out;
}
