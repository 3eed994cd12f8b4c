import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import { verifyJsonSignature } from "./signing.ts";

/*
 * Shape checks for the key objects clients upload (spec: "End-to-end encryption"). Pure: each returns
 * a reason string for a malformed object, or undefined when it is well formed, so the HTTP layer picks
 * the Matrix error.
 */

const isStringMap = (v: JsonValue | undefined): v is JsonObject =>
  isJsonObject(v) && Object.values(v).every((x) => typeof x === "string");

/** `signatures`: `{entity: {keyId: signature}}`, every signature a string. */
export function signaturesProblem(v: JsonValue | undefined): string | undefined {
  if (!isJsonObject(v)) return "'signatures' must be an object";
  for (const [entity, sigs] of Object.entries(v)) {
    if (!isStringMap(sigs)) return `'signatures.${entity}' must map key ids to signature strings`;
  }
  return undefined;
}

/** A `keys` map of `algorithm:id` to unpadded base64 public key strings. */
function keysProblem(v: JsonValue | undefined): string | undefined {
  if (!isStringMap(v)) return "'keys' must map key ids to key strings";
  for (const id of Object.keys(v)) if (!/^[^:]+:./.test(id)) return `key id '${id}' is not 'algorithm:id'`;
  return undefined;
}

/**
 * A DeviceKeys object uploaded by `userId` from `deviceId`: it must name that user and device, and when
 * it carries the device's ed25519 key, its self-signature must verify (a client that cannot sign its
 * own keys would only make every other client distrust the device).
 */
export function deviceKeysProblem(keys: JsonObject, userId: string, deviceId: string): string | undefined {
  if (keys.user_id !== userId) return "'device_keys.user_id' does not match the authenticated user";
  if (keys.device_id !== deviceId) return "'device_keys.device_id' does not match the authenticated device";
  const algorithms = keys.algorithms;
  if (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === "string")) {
    return "'device_keys.algorithms' must be an array of strings";
  }
  const problem = keysProblem(keys.keys) ?? signaturesProblem(keys.signatures);
  if (problem) return `device_keys: ${problem}`;
  const ed25519 = (keys.keys as JsonObject)[`ed25519:${deviceId}`];
  if (typeof ed25519 === "string" && !verifyJsonSignature(keys, userId, `ed25519:${deviceId}`, ed25519)) {
    return "'device_keys' is not signed by the device's own ed25519 key";
  }
  return undefined;
}

/** `algorithm:key_id` split at the first colon; undefined when either part is empty. */
export function splitKeyId(id: string): { algorithm: string; keyId: string } | undefined {
  const i = id.indexOf(":");
  if (i <= 0 || i === id.length - 1) return undefined;
  return { algorithm: id.slice(0, i), keyId: id.slice(i + 1) };
}

/** A one-time or fallback key: a key string (old curve25519) or a `{key, signatures?}` object. */
export function oneTimeKeyProblem(id: string, value: JsonValue | undefined): string | undefined {
  if (!splitKeyId(id)) return `key id '${id}' is not 'algorithm:key_id'`;
  if (typeof value === "string") return undefined;
  if (!isJsonObject(value) || typeof value.key !== "string") {
    return `key '${id}' must be a key string or an object with a 'key' string`;
  }
  if (value.signatures !== undefined) return signaturesProblem(value.signatures);
  return undefined;
}

export type CrossSigningKeyType = "master" | "self_signing" | "user_signing";

/**
 * A CrossSigningKey of `type` for `userId`: the right usage, exactly one ed25519 key whose id names its
 * public key. Returns the public key, or a reason.
 */
export function crossSigningKeyCheck(
  key: JsonValue | undefined,
  type: CrossSigningKeyType,
  userId: string,
): { publicKey: string } | { problem: string } {
  if (!isJsonObject(key)) return { problem: `'${type}_key' must be an object` };
  if (key.user_id !== userId) return { problem: `'${type}_key.user_id' must be the authenticated user` };
  const usage = key.usage;
  if (!Array.isArray(usage) || !usage.includes(type)) {
    return { problem: `'${type}_key.usage' must include '${type}'` };
  }
  const keys = key.keys;
  if (!isStringMap(keys)) return { problem: `'${type}_key.keys' must map key ids to key strings` };
  const entries = Object.entries(keys);
  const [only] = entries;
  if (entries.length !== 1 || !only || only[0] !== `ed25519:${String(only[1])}`) {
    return {
      problem: `'${type}_key.keys' must hold exactly one key, 'ed25519:<public key>': '<public key>'`,
    };
  }
  if (key.signatures !== undefined) {
    const problem = signaturesProblem(key.signatures);
    if (problem) return { problem: `${type}_key: ${problem}` };
  }
  return { publicKey: only[1] as string };
}

/** True when `obj` carries a valid signature by `signer`'s ed25519 key `publicKey`. */
export function signedBy(obj: JsonObject, signer: string, publicKey: string): boolean {
  return verifyJsonSignature(obj, signer, `ed25519:${publicKey}`, publicKey);
}
