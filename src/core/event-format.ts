/**
 * Shape and size checks a PDU must pass before anything else looks at it (spec server-server §Checks
 * performed on receipt of a PDU, step 1; client-server §Size limits; the pdu_v1…v12 schemas).
 * These only decide "is this an event of this room version at all"; auth rules come later.
 */
import { encodeCanonicalJson } from "./canonical-json.ts";
import { CanonicalJsonError } from "./json-error.ts";
import { isJsonObject, type JsonValue } from "./json.ts";
import type { Pdu } from "./pdu.ts";
import type { RoomVersion } from "./room-versions.ts";
import { EventFormatError } from "./event-format-error.ts";

export { EventFormatError } from "./event-format-error.ts";

/** Canonical JSON bytes a whole PDU may take, signatures included. */
export const MAX_PDU_BYTES = 65536;
/** Limit for `sender`, `room_id`, `state_key`, `type` and `event_id`. */
export const MAX_ID_BYTES = 255;

export interface EventSizeViolation {
  field: "event" | "sender" | "room_id" | "state_key" | "type" | "event_id";
  limit: number;
  actual: number;
  /**
   * True when the event must be dropped. False for a byte-length violation in a room version where
   * Synapse accepted it (`strictEventByteLimits` unset): keep it as a rejected event, so that rooms
   * already containing it still work.
   */
  drop: boolean;
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++; // count each pair once, at its low half
  }
  return n;
}

/**
 * The first size limit `pdu` breaks, or undefined. Measure the federation form (with signatures and
 * whatever `unsigned` will be sent). For v3+ pass the computed `eventId`, which the PDU lacks.
 */
export function checkEventSize(
  pdu: Pdu,
  version: RoomVersion,
  eventId?: string,
): EventSizeViolation | undefined {
  // Non-strict so that a v1–v5 float is measured rather than thrown; strictness is assertValidPdu's job.
  const total = Buffer.byteLength(encodeCanonicalJson(pdu, { strict: false }), "utf8");
  if (total > MAX_PDU_BYTES) return { field: "event", limit: MAX_PDU_BYTES, actual: total, drop: true };

  const fields: Array<[EventSizeViolation["field"], unknown]> = [
    ["sender", pdu.sender],
    ["room_id", pdu.room_id],
    ["state_key", pdu.state_key],
    ["type", pdu.type],
    ["event_id", eventId ?? pdu.event_id],
  ];
  let byteViolation: EventSizeViolation | undefined;
  for (const [field, value] of fields) {
    if (typeof value !== "string") continue;
    // Synapse always enforced these limits in code points, so those failures are never tolerated.
    const points = codePointLength(value);
    if (points > MAX_ID_BYTES) return { field, limit: MAX_ID_BYTES, actual: points, drop: true };
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > MAX_ID_BYTES && byteViolation === undefined) {
      byteViolation = { field, limit: MAX_ID_BYTES, actual: bytes, drop: version.strictEventByteLimits };
    }
  }
  return byteViolation;
}

function isInteger(v: JsonValue | undefined): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

function fail(message: string): never {
  throw new EventFormatError(message);
}

/**
 * Throws `EventFormatError` unless `value` has the PDU shape of `version`: required fields of the
 * right types, `room_id` absent exactly on a v12 create event, v1/v2 `event_id` and `[id, {sha256}]`
 * references vs v3+ plain id references, and strict canonical JSON (v6+: no floats, no integers
 * beyond ±(2^53−1)). Depth must be a non-negative integer, as Synapse requires.
 *
 * Not enforced here, on purpose: the schema's "at most 10 auth_events / 20 prev_events" (Synapse does
 * not drop such events at this stage either) and the size limits (see `checkEventSize`).
 */
export function assertValidPdu(value: JsonValue, version: RoomVersion): asserts value is Pdu {
  if (!isJsonObject(value)) fail("A PDU must be a JSON object");
  if (typeof value.type !== "string") fail("type must be a string");
  if (typeof value.sender !== "string") fail("sender must be a string");
  if (!isJsonObject(value.content)) fail("content must be an object");
  if (!isInteger(value.origin_server_ts)) fail("origin_server_ts must be an integer");
  if (!isInteger(value.depth) || value.depth < 0) fail("depth must be a non-negative integer");
  const hashes = value.hashes;
  if (!isJsonObject(hashes) || typeof hashes.sha256 !== "string") fail("hashes.sha256 must be a string");
  const signatures = value.signatures;
  if (!isJsonObject(signatures)) fail("signatures must be an object");
  for (const server of Object.keys(signatures)) {
    const byKey = signatures[server];
    if (!isJsonObject(byKey)) fail("signatures must map servers to objects");
    for (const sig of Object.values(byKey)) if (typeof sig !== "string") fail("signatures must be strings");
  }
  if (value.unsigned !== undefined && !isJsonObject(value.unsigned)) fail("unsigned must be an object");
  if (value.state_key !== undefined && typeof value.state_key !== "string")
    fail("state_key must be a string");

  const isCreate = value.type === "m.room.create";
  if (version.roomIdFromCreateEvent && isCreate) {
    if (Object.hasOwn(value, "room_id")) fail("A v12 m.room.create event must not have a room_id");
  } else if (typeof value.room_id !== "string") {
    fail("room_id must be a string");
  }

  if (version.eventIdFormat === "v1") {
    if (typeof value.event_id !== "string") fail("event_id must be a string in this room version");
    checkReferences(value.prev_events, "prev_events", isV1Reference);
    checkReferences(value.auth_events, "auth_events", isV1Reference);
  } else {
    checkReferences(value.prev_events, "prev_events", (r) => typeof r === "string");
    checkReferences(value.auth_events, "auth_events", (r) => typeof r === "string");
  }

  if (version.strictCanonicalJson) {
    try {
      encodeCanonicalJson(value, { strict: true });
    } catch (e) {
      if (e instanceof CanonicalJsonError) fail(`Not canonical JSON: ${e.message}`);
      throw e;
    }
  }
}

function isV1Reference(r: JsonValue): boolean {
  return (
    Array.isArray(r) &&
    r.length === 2 &&
    typeof r[0] === "string" &&
    isJsonObject(r[1]) &&
    typeof r[1].sha256 === "string"
  );
}

function checkReferences(refs: JsonValue | undefined, name: string, ok: (r: JsonValue) => boolean): void {
  if (!Array.isArray(refs)) fail(`${name} must be an array`);
  for (const r of refs) if (!ok(r)) fail(`${name} has a malformed entry`);
}
