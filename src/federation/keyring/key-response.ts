/**
 * Checks a server key response (`/_matrix/key/v2/server`, or one entry of a notary's answer) and turns
 * it into key records. Pure: the fetch time is passed in.
 */
import { isJsonObject, type JsonObject } from "../../core/json.ts";
import { verifyJsonSignature } from "../../core/signing.ts";

export interface ServerKeyRecord {
  serverName: string;
  keyId: string;
  /** Unpadded base64 Ed25519 public key. */
  publicKey: string;
  /** `valid_until_ts` of the response that carried the key, as published (uncapped). */
  validUntilTs: number;
  /** Set for keys from `old_verify_keys`: events after this time may not use the key. */
  expiredTs?: number;
  /** When we received the response: the 7-day cap counts from here. */
  fetchedTs: number;
}

export interface ParsedKeyResponse {
  serverName: string;
  validUntilTs: number;
  keys: ServerKeyRecord[];
  /** The response as received, signatures included, for serving as a notary. */
  json: JsonObject;
}

export class KeyResponseError extends Error {
  override name = "KeyResponseError";
}

const KEY_ID = /^ed25519:[A-Za-z0-9_]+$/;

function isTimestamp(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates `json` as `expectedServer`'s key response received at `fetchedTs`: the right `server_name`,
 * a `valid_until_ts`, well-formed keys, and a self-signature by at least one of its `verify_keys`
 * (every self-signature by a listed key must verify; signatures by keys it does not list are ignored,
 * as Synapse does). Non-ed25519 keys are skipped. Throws KeyResponseError.
 */
export function parseServerKeyResponse(
  json: unknown,
  expectedServer: string,
  fetchedTs: number,
): ParsedKeyResponse {
  if (!isJsonObject(json)) throw new KeyResponseError("Key response is not a JSON object");
  if (json.server_name !== expectedServer) {
    throw new KeyResponseError(`Key response is for ${String(json.server_name)}, not ${expectedServer}`);
  }
  const validUntilTs = json.valid_until_ts;
  if (!isTimestamp(validUntilTs)) throw new KeyResponseError("Key response lacks valid_until_ts");
  const verifyKeys = json.verify_keys;
  if (!isJsonObject(verifyKeys)) throw new KeyResponseError("Key response lacks verify_keys");

  const keys: ServerKeyRecord[] = [];
  for (const [keyId, entry] of Object.entries(verifyKeys)) {
    if (!keyId.startsWith("ed25519:")) continue;
    if (!KEY_ID.test(keyId) || !isJsonObject(entry) || typeof entry.key !== "string") {
      throw new KeyResponseError(`Malformed verify key ${keyId}`);
    }
    keys.push({ serverName: expectedServer, keyId, publicKey: entry.key, validUntilTs, fetchedTs });
  }

  const selfSigs = isJsonObject(json.signatures) ? json.signatures[expectedServer] : undefined;
  let verified = false;
  if (isJsonObject(selfSigs)) {
    for (const keyId of Object.keys(selfSigs)) {
      const key = keys.find((k) => k.keyId === keyId);
      if (!key) continue;
      if (!verifyJsonSignature(json, expectedServer, keyId, key.publicKey)) {
        throw new KeyResponseError(`Key response signature by ${keyId} does not verify`);
      }
      verified = true;
    }
  }
  if (!verified) throw new KeyResponseError("Key response is not signed by any of its verify_keys");

  const oldKeys = json.old_verify_keys;
  if (oldKeys !== undefined && !isJsonObject(oldKeys)) {
    throw new KeyResponseError("old_verify_keys is not an object");
  }
  for (const [keyId, entry] of Object.entries(oldKeys ?? {})) {
    if (!keyId.startsWith("ed25519:") || keys.some((k) => k.keyId === keyId)) continue;
    if (
      !KEY_ID.test(keyId) ||
      !isJsonObject(entry) ||
      typeof entry.key !== "string" ||
      !isTimestamp(entry.expired_ts)
    ) {
      throw new KeyResponseError(`Malformed old verify key ${keyId}`);
    }
    keys.push({
      serverName: expectedServer,
      keyId,
      publicKey: entry.key,
      validUntilTs,
      expiredTs: entry.expired_ts,
      fetchedTs,
    });
  }
  return { serverName: expectedServer, validUntilTs, keys, json };
}
