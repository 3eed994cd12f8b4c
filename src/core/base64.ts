/**
 * Matrix base64 (spec appendices §Unpadded Base64): RFC 4648 without `=` padding, standard alphabet
 * for keys, hashes and signatures; URL-safe alphabet for v4+ event ids and v12 room ids.
 *
 * Encoders never pad. Decoders accept padded input (the spec says they SHOULD) but nothing else that
 * Node's lenient decoder would let through: whitespace, the other alphabet, junk characters and
 * impossible lengths all throw `Base64Error`. Non-zero trailing bits are accepted, because the spec's
 * own test seed (`…W+3XA1`) has them and every reference implementation decodes it.
 */

export class Base64Error extends Error {
  override readonly name = "Base64Error";
}

const STD_PADDED = /^[A-Za-z0-9+/]*={0,2}$/;
const STD_UNPADDED = /^[A-Za-z0-9+/]*$/;
const URL_PADDED = /^[A-Za-z0-9_-]*={0,2}$/;
const URL_UNPADDED = /^[A-Za-z0-9_-]*$/;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function stripPadding(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Checks the length rules shared by both alphabets; returns the unpadded text. */
function checkLength(s: string): string {
  const body = stripPadding(s);
  const rem = body.length % 4;
  if (rem === 1) throw new Base64Error("Invalid base64 length");
  if (body.length !== s.length) {
    // Padding, when present, must be exactly what RFC 4648 would have written.
    if (rem === 0 || s.length % 4 !== 0) throw new Base64Error("Invalid base64 padding");
  }
  return body;
}

export function encodeBase64(bytes: Uint8Array): string {
  return stripPadding(asBuffer(bytes).toString("base64"));
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString("base64url");
}

/** Standard alphabet, padding optional. */
export function decodeBase64(s: string): Buffer {
  if (!STD_PADDED.test(s)) throw new Base64Error("Invalid base64 character");
  return Buffer.from(checkLength(s), "base64");
}

/** URL-safe alphabet, padding optional. */
export function decodeBase64Url(s: string): Buffer {
  if (!URL_PADDED.test(s)) throw new Base64Error("Invalid base64url character");
  return Buffer.from(checkLength(s), "base64url");
}

/**
 * Standard alphabet, no padding allowed: for signatures, where gomatrixserverlib (signing_test.go)
 * refuses a padded value and accepting it would make us accept what part of the federation drops.
 */
export function decodeBase64Unpadded(s: string): Buffer {
  if (!STD_UNPADDED.test(s)) throw new Base64Error("Invalid unpadded base64");
  return Buffer.from(checkLength(s), "base64");
}

/** URL-safe alphabet, no padding allowed. */
export function decodeBase64UrlUnpadded(s: string): Buffer {
  if (!URL_UNPADDED.test(s)) throw new Base64Error("Invalid unpadded base64url");
  return Buffer.from(checkLength(s), "base64url");
}

/** Non-throwing form for validation paths: the decoded bytes, or undefined. */
export function tryDecodeBase64(s: string, opts?: { padding?: boolean }): Buffer | undefined {
  try {
    return opts?.padding === false ? decodeBase64Unpadded(s) : decodeBase64(s);
  } catch {
    return undefined;
  }
}
