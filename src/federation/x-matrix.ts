/**
 * X-Matrix request signing (spec server-server §Request Authentication): the origin signs
 * `{method, uri, origin, destination, content?}` with its server key, and the signature travels in the
 * Authorization header. Pure: both sides build the same JSON here.
 */
import { encodeCanonicalJson } from "../core/canonical-json.ts";
import type { JsonObject, JsonValue } from "../core/json.ts";
import { signBytes, signingBytes, type SigningKey } from "../core/signing.ts";
import { formatXMatrixAuthorization } from "./x-matrix-header.ts";

export interface SignedRequestParts {
  method: string;
  /** Path plus query string exactly as sent, without scheme or host. */
  uri: string;
  origin: string;
  destination: string;
  /** The parsed JSON body; absent when the request has none. */
  content?: JsonValue;
}

/** The object whose signature the Authorization header carries. */
export function xMatrixSigningJson(parts: SignedRequestParts): JsonObject {
  const json: JsonObject = {
    method: parts.method,
    uri: parts.uri,
    origin: parts.origin,
    destination: parts.destination,
  };
  if (parts.content !== undefined) json.content = parts.content;
  return json;
}

/**
 * The bytes `signXMatrixRequest` signs, for a body given as canonical JSON text: spliced rather than
 * encoded, since canonical JSON of the whole is the parts' canonical JSON in key order (`content`
 * sorts first).
 */
function canonicalSigningBytes(parts: Omit<SignedRequestParts, "content">, content: string): Buffer {
  const rest = encodeCanonicalJson(
    { destination: parts.destination, method: parts.method, origin: parts.origin, uri: parts.uri },
    { strict: false },
  );
  return Buffer.from(`{"content":${content},${rest.slice(1)}`, "utf8");
}

/** `signXMatrixRequest` for a request whose body is already canonical JSON text. */
export function signXMatrixRequestCanonical(
  key: SigningKey,
  parts: Omit<SignedRequestParts, "content">,
  content: string,
): string {
  return formatXMatrixAuthorization({
    origin: parts.origin,
    destination: parts.destination,
    key: key.keyId,
    sig: signBytes(key, canonicalSigningBytes(parts, content)),
  });
}

/**
 * The Authorization header value for a request. Non-strict canonical JSON: a body may carry room
 * v1–v5 events with floats, and the signature covers whatever we send.
 */
export function signXMatrixRequest(key: SigningKey, parts: SignedRequestParts): string {
  const sig = signBytes(key, signingBytes(xMatrixSigningJson(parts), { strict: false }));
  return formatXMatrixAuthorization({
    origin: parts.origin,
    destination: parts.destination,
    key: key.keyId,
    sig,
  });
}

/** The signed JSON of a received request with one credential's signature attached, ready to verify. */
export function xMatrixSignedJson(parts: SignedRequestParts, keyId: string, sig: string): JsonObject {
  return { ...xMatrixSigningJson(parts), signatures: { [parts.origin]: { [keyId]: sig } } };
}
