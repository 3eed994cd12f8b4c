/**
 * Ed25519 JSON signing (spec appendices §Signing JSON, §Checking for a Signature) through node:crypto,
 * which is ~100× faster than pure-JS ed25519 (DESIGN.md invariant 7).
 *
 * Parsing a key into an OpenSSL KeyObject costs more than a signature, so KeyObjects are memoised: per
 * SigningKey object for private keys, and in a bounded map keyed by the base64 text for public keys.
 * The memo changes no result, so the functions stay pure in effect.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { encodeCanonicalJson, type CanonicalJsonOptions } from "./canonical-json.ts";
import { decodeBase64, decodeBase64Unpadded, encodeBase64 } from "./base64.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";

export interface SigningKey {
  /** `ed25519:<version>`, e.g. `ed25519:a_Obwu`. */
  readonly keyId: string;
  /** The 32-byte Ed25519 seed (what Synapse's signing key file stores). */
  readonly seed: Uint8Array;
  /** Unpadded standard base64 of the 32-byte public key, as published in `verify_keys`. */
  readonly publicKey: string;
}

// ASN.1 wrappers that turn raw 32-byte Ed25519 keys into the DER forms OpenSSL imports (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
// The spec's key version grammar: [a-zA-Z0-9_]+.
const KEY_ID = /^ed25519:[A-Za-z0-9_]+$/;

const privateKeys = new WeakMap<SigningKey, KeyObject>();
const publicKeys = new Map<string, KeyObject | null>();
const PUBLIC_KEY_CACHE_LIMIT = 10_000;

function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error("An Ed25519 seed is 32 bytes");
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

export function signingKeyFromSeed(keyId: string, seed: Uint8Array): SigningKey {
  if (!KEY_ID.test(keyId)) throw new Error(`Invalid Ed25519 key id: ${keyId}`);
  const keyObject = privateKeyFromSeed(seed);
  const spki = createPublicKey(keyObject).export({ format: "der", type: "spki" });
  const key: SigningKey = {
    keyId,
    seed: Uint8Array.from(seed),
    publicKey: encodeBase64(spki.subarray(SPKI_ED25519_PREFIX.length)),
  };
  privateKeys.set(key, keyObject);
  return key;
}

function privateKeyOf(key: SigningKey): KeyObject {
  let k = privateKeys.get(key);
  if (k === undefined) {
    k = privateKeyFromSeed(key.seed);
    privateKeys.set(key, k);
  }
  return k;
}

/** The KeyObject for an unpadded (or padded) base64 public key, or null if it is not one. */
function publicKeyFromBase64(publicKeyB64: string): KeyObject | null {
  const cached = publicKeys.get(publicKeyB64);
  if (cached !== undefined) return cached;
  let k: KeyObject | null = null;
  try {
    const raw = decodeBase64(publicKeyB64);
    if (raw.length === 32) {
      k = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
    }
  } catch {
    k = null;
  }
  // Crude bound: a server talks to a few thousand keys; clearing now and then is cheaper than an LRU.
  if (publicKeys.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeys.clear();
  publicKeys.set(publicKeyB64, k);
  return k;
}

/** Raw Ed25519 signature of some bytes, unpadded base64. */
export function signBytes(key: SigningKey, message: Uint8Array): string {
  return encodeBase64(sign(null, message, privateKeyOf(key)));
}

/** Checks an unpadded base64 signature over bytes. False on any malformed input; never throws. */
export function verifySignatureBytes(
  message: Uint8Array,
  signatureB64: string,
  publicKeyB64: string,
): boolean {
  const publicKey = publicKeyFromBase64(publicKeyB64);
  if (publicKey === null) return false;
  let signature: Buffer;
  try {
    signature = decodeBase64Unpadded(signatureB64);
  } catch {
    return false;
  }
  if (signature.length !== 64) return false;
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

/** `obj` without `signatures` and `unsigned`: the part a JSON signature covers. */
export function withoutSignaturesAndUnsigned(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(obj)) {
    if (key !== "signatures" && key !== "unsigned") copyProperty(out, key, obj[key]);
  }
  return out;
}

/** The exact bytes a JSON signature is made over. */
export function signingBytes(obj: JsonObject, opts?: CanonicalJsonOptions): Buffer {
  return Buffer.from(encodeCanonicalJson(withoutSignaturesAndUnsigned(obj), opts), "utf8");
}

/**
 * Signs `obj` as `serverName` and returns a new object with the signature added under
 * `signatures[serverName][key.keyId]`. Other signatures and `unsigned` are kept as they were.
 */
export function signJson<T extends JsonObject>(
  obj: T,
  serverName: string,
  key: SigningKey,
  opts?: CanonicalJsonOptions,
): T {
  const signature = signBytes(key, signingBytes(obj, opts));
  return { ...obj, signatures: addSignature(obj.signatures, serverName, key.keyId, signature) };
}

/** `signatures` with one more entry, copied rather than mutated. */
export function addSignature(
  signatures: JsonValue | undefined,
  serverName: string,
  keyId: string,
  signature: string,
): JsonObject {
  const all: JsonObject = isJsonObject(signatures) ? { ...signatures } : {};
  const existing = all[serverName];
  const mine: JsonObject = isJsonObject(existing) ? { ...existing } : {};
  copyProperty(mine, keyId, signature);
  copyProperty(all, serverName, mine);
  return all;
}

/**
 * True iff `obj.signatures[serverName][keyId]` is a valid Ed25519 signature by `publicKeyB64` over
 * the canonical form of `obj` minus `signatures` and `unsigned`. Anything malformed (missing entry,
 * non-ed25519 key id, padded or wrong-length signature, bad key, unencodable JSON) is simply false.
 *
 * Unlike signing, verification defaults to non-strict canonical JSON: a signature covers whatever the
 * signer encoded, and signed objects such as X-Matrix request bodies can carry room v1–v5 events with
 * floats. Pass `{ strict: true }` where the object must also be valid v6+ JSON.
 */
export function verifyJsonSignature(
  obj: JsonValue,
  serverName: string,
  keyId: string,
  publicKeyB64: string,
  opts?: CanonicalJsonOptions,
): boolean {
  if (!isJsonObject(obj) || !keyId.startsWith("ed25519:")) return false;
  const signatures = obj.signatures;
  if (!isJsonObject(signatures) || !Object.hasOwn(signatures, serverName)) return false;
  const mine = signatures[serverName];
  if (!isJsonObject(mine) || !Object.hasOwn(mine, keyId)) return false;
  const signature = mine[keyId];
  if (typeof signature !== "string") return false;
  let message: Buffer;
  try {
    message = signingBytes(obj, { strict: opts?.strict ?? false });
  } catch {
    return false;
  }
  return verifySignatureBytes(message, signature, publicKeyB64);
}

/** Assigns without ever invoking the `__proto__` setter, whatever the key. */
function copyProperty(target: JsonObject, key: string, value: JsonValue | undefined): void {
  if (value === undefined) return;
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
