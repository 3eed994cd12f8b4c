import { randomBytes } from "node:crypto";
import {
  addSignature,
  signBytes,
  signingBytes,
  signingKeyFromSeed,
  type SigningKey,
} from "../../src/core/signing.ts";
import type { JsonObject } from "../../src/core/json.ts";

/** A fresh Ed25519 key; its key id is irrelevant here (signatures name the key themselves). */
export function newKey(): SigningKey {
  return signingKeyFromSeed("ed25519:test", randomBytes(32));
}

/** `obj` with a signature by `key` added as `signatures[entity][keyId]`. */
export function signAs(obj: JsonObject, entity: string, keyId: string, key: SigningKey): JsonObject {
  const signature = signBytes(key, signingBytes(obj));
  return { ...obj, signatures: addSignature(obj.signatures, entity, keyId, signature) };
}

/** DeviceKeys for a device, self-signed with `key` as its ed25519 identity key. */
export function deviceKeys(userId: string, deviceId: string, key: SigningKey): JsonObject {
  const unsigned: JsonObject = {
    user_id: userId,
    device_id: deviceId,
    algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    keys: { [`curve25519:${deviceId}`]: newKey().publicKey, [`ed25519:${deviceId}`]: key.publicKey },
  };
  return signAs(unsigned, userId, `ed25519:${deviceId}`, key);
}

/** A cross-signing key object for `key`, signed by `signer` (the master key) when given. */
export function crossSigningKey(
  userId: string,
  usage: string,
  key: SigningKey,
  signer?: SigningKey,
): JsonObject {
  const obj: JsonObject = {
    user_id: userId,
    usage: [usage],
    keys: { [`ed25519:${key.publicKey}`]: key.publicKey },
  };
  return signer ? signAs(obj, userId, `ed25519:${signer.publicKey}`, signer) : obj;
}

/** A signed one-time (or fallback) key object. */
export function oneTimeKey(userId: string, deviceId: string, key: SigningKey, fallback = false): JsonObject {
  const obj: JsonObject = { key: newKey().publicKey, ...(fallback ? { fallback: true } : {}) };
  return signAs(obj, userId, `ed25519:${deviceId}`, key);
}
