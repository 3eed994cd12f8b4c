import type { JsonObject } from "../core/json.ts";
import { signJson } from "../core/signing.ts";
import type { ServerKeys } from "./signing-key-file.ts";

/** How long others may cache our key response; Synapse publishes about a day. */
export const KEY_RESPONSE_VALIDITY_MS = 24 * 60 * 60 * 1000;

/** The `/_matrix/key/v2/server` body: current and old keys, self-signed with the current key. */
export function serverKeyResponse(serverName: string, keys: ServerKeys, now: number): JsonObject {
  const oldVerifyKeys: JsonObject = {};
  for (const old of keys.old) oldVerifyKeys[old.keyId] = { key: old.publicKey, expired_ts: old.expiredTs };
  const body: JsonObject = {
    server_name: serverName,
    valid_until_ts: now + KEY_RESPONSE_VALIDITY_MS,
    verify_keys: { [keys.current.keyId]: { key: keys.current.publicKey } },
    old_verify_keys: oldVerifyKeys,
  };
  return signJson(body, serverName, keys.current);
}
