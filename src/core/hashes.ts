/**
 * Event hashes, signatures and ids (spec server-server §Signing Events, rooms v1/v3/v4 event ids,
 * v12 room ids). Everything is over canonical JSON, strict or not as the room version says.
 *
 * v1/v2 PDUs carry their own `event_id`, and it is covered by both hashes and the signature. From v3 on,
 * a PDU has no `event_id` (it is derived from the reference hash), yet Hearth attaches one locally
 * (`IdentifiedPdu`), so every function here strips `event_id` before hashing or signing a v3+ event.
 */
import { hash } from "node:crypto";
import { encodeCanonicalJson } from "./canonical-json.ts";
import { decodeBase64, encodeBase64, encodeBase64Url } from "./base64.ts";
import { isJsonObject, type JsonObject } from "./json.ts";
import type { IdentifiedPdu, Pdu } from "./pdu.ts";
import { getRoomVersion, type RoomVersion } from "./room-versions.ts";
import { redactEvent } from "./redaction.ts";
import { addSignature, signBytes, verifyJsonSignature, type SigningKey } from "./signing.ts";

export {
  requiredSignatureServers,
  isKeyValidForEvent,
  isOldKeyValidForEvent,
  capKeyValidUntil,
} from "./signature-requirements.ts";

/** One-shot SHA-256 (a string is hashed as UTF-8); cheaper than createHash for event-sized input. */
function sha256(data: string | Buffer): Buffer {
  return hash("sha256", data, "buffer");
}

function strictFor(version: RoomVersion | undefined): boolean {
  return version?.strictCanonicalJson ?? true;
}

/** Copy of `obj` without the given top-level keys. */
function omit(obj: JsonObject, drop: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(obj)) {
    if (!drop.has(key)) {
      const v = obj[key];
      if (key === "__proto__") {
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      } else if (v !== undefined) {
        out[key] = v;
      }
    }
  }
  return out;
}

const CONTENT_HASH_DROP = new Set(["unsigned", "signatures", "hashes"]);
const CONTENT_HASH_DROP_V3 = new Set(["unsigned", "signatures", "hashes", "event_id"]);
const SIGNING_DROP = new Set(["unsigned", "signatures"]);
const SIGNING_DROP_V3 = new Set(["unsigned", "signatures", "event_id"]);

function carriesEventId(version: RoomVersion | undefined): boolean {
  return version === undefined || version.eventIdFormat === "v1";
}

/**
 * SHA-256 of the canonical event minus `unsigned`, `signatures` and `hashes`: covers the unredacted
 * content. Pass the room version: it decides strictness and whether `event_id` is part of the PDU.
 * Without it the event is hashed as given, with strict canonical JSON.
 */
export function computeContentHash(pdu: JsonObject, version?: RoomVersion): Buffer {
  const drop = carriesEventId(version) ? CONTENT_HASH_DROP : CONTENT_HASH_DROP_V3;
  return sha256(encodeCanonicalJson(omit(pdu, drop), { strict: strictFor(version) }));
}

/**
 * Whether `hashes.sha256` matches the content. False (never a throw) for a missing, malformed or
 * unencodable hash or event; per spec the caller then keeps only the redacted event.
 */
export function checkContentHash(pdu: JsonObject, version?: RoomVersion): boolean {
  const hashes = pdu.hashes;
  if (!isJsonObject(hashes) || typeof hashes.sha256 !== "string") return false;
  try {
    const claimed = decodeBase64(hashes.sha256);
    return claimed.length === 32 && claimed.equals(computeContentHash(pdu, version));
  } catch {
    return false;
  }
}

/**
 * The canonical text that event signatures cover and the reference hash digests: the redacted event
 * without `signatures`/`unsigned` (and without `event_id` from v3 on).
 */
export function redactedSigningJson(pdu: JsonObject, version: RoomVersion): string {
  const drop = version.eventIdFormat === "v1" ? SIGNING_DROP : SIGNING_DROP_V3;
  return encodeCanonicalJson(omit(redactEvent(pdu, version), drop), { strict: version.strictCanonicalJson });
}

/** SHA-256 of the redacted event minus `signatures` and `unsigned`: the basis of v3+ event ids. */
export function computeReferenceHash(pdu: JsonObject, version: RoomVersion): Buffer {
  return sha256(redactedSigningJson(pdu, version));
}

function eventIdFromReferenceHash(hash: Buffer, version: RoomVersion): string {
  return "$" + (version.eventIdFormat === "v3" ? encodeBase64(hash) : encodeBase64Url(hash));
}

/**
 * The event id: v1/v2 the PDU's own `event_id` (throws if it has none); v3 `$` + standard base64 of
 * the reference hash; v4+ `$` + URL-safe base64.
 */
export function computeEventId(pdu: JsonObject, version: RoomVersion): string {
  if (version.eventIdFormat === "v1") {
    if (typeof pdu.event_id !== "string") throw new Error("A v1/v2 PDU must carry its event_id");
    return pdu.event_id;
  }
  return eventIdFromReferenceHash(computeReferenceHash(pdu, version), version);
}

/** The PDU with its event id attached, as auth rules and state resolution want it. */
export function identifyPdu(pdu: Pdu, version: RoomVersion): IdentifiedPdu {
  return { ...pdu, event_id: computeEventId(pdu, version) };
}

/**
 * v12: the room id is the create event's event id with `!` instead of `$`. The version is taken from
 * `content.room_version` unless given; it must be one whose room ids derive from the create event.
 */
export function roomIdFromCreateEvent(createPdu: JsonObject, version?: RoomVersion): string {
  const v =
    version ??
    (isJsonObject(createPdu.content) && typeof createPdu.content.room_version === "string"
      ? getRoomVersion(createPdu.content.room_version)
      : undefined);
  if (v === undefined || !v.roomIdFromCreateEvent) {
    throw new Error("Room ids derive from the create event only in room versions that say so (v12+)");
  }
  return "!" + computeEventId(createPdu, v).slice(1);
}

/**
 * Adds `hashes.sha256` (replacing any `hashes`, as the spec's reference code does) and this server's
 * signature over the redacted form. Returns a new event; other servers' signatures are kept.
 */
export function hashAndSignEvent<T extends JsonObject>(
  pdu: T,
  version: RoomVersion,
  serverName: string,
  key: SigningKey,
): T {
  return hashAndSign(pdu, version, serverName, key).pdu;
}

/**
 * `hashAndSignEvent` plus the event id. The signed bytes are exactly the reference-hash input, so the
 * id costs one SHA-256 rather than another redaction and encoding. Throws for a v1/v2 event without
 * an `event_id`.
 */
export function hashSignAndIdentify<T extends JsonObject>(
  pdu: T,
  version: RoomVersion,
  serverName: string,
  key: SigningKey,
): { pdu: T; eventId: string } {
  const { pdu: out, signedBytes } = hashAndSign(pdu, version, serverName, key);
  const eventId =
    version.eventIdFormat === "v1"
      ? computeEventId(pdu, version)
      : eventIdFromReferenceHash(sha256(signedBytes), version);
  return { pdu: out, eventId };
}

function hashAndSign<T extends JsonObject>(
  pdu: T,
  version: RoomVersion,
  serverName: string,
  key: SigningKey,
): { pdu: T; signedBytes: Buffer } {
  const contentHash = encodeBase64(computeContentHash(pdu, version));
  const hashed: T = { ...pdu, hashes: { sha256: contentHash } };
  const signedBytes = Buffer.from(redactedSigningJson(hashed, version), "utf8");
  const signature = signBytes(key, signedBytes);
  const signatures = addSignature(pdu.signatures, serverName, key.keyId, signature);
  return { pdu: { ...hashed, signatures }, signedBytes };
}

/**
 * Whether `serverName` signed the event with `keyId`/`publicKeyB64`, checked on the redacted form so a
 * redacted copy still verifies. Never throws. Does not check the content hash (`checkContentHash`) or
 * key validity periods (`isKeyValidForEvent`).
 */
export function verifyEventSignature(
  pdu: JsonObject,
  version: RoomVersion,
  serverName: string,
  keyId: string,
  publicKeyB64: string,
): boolean {
  if (!isJsonObject(pdu)) return false;
  let redacted: JsonObject;
  try {
    redacted = redactEvent(pdu, version);
  } catch {
    return false;
  }
  if (version.eventIdFormat !== "v1") delete redacted.event_id;
  return verifyJsonSignature(redacted, serverName, keyId, publicKeyB64, {
    strict: version.strictCanonicalJson,
  });
}
