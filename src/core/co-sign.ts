import { redactedSigningJson } from "./hashes.ts";
import type { JsonObject } from "./json.ts";
import type { RoomVersion } from "./room-versions.ts";
import { addSignature, signBytes, type SigningKey } from "./signing.ts";

/**
 * Adds `serverName`'s signature to another server's event, leaving its hashes and other signatures
 * alone (invites the invitee's server signs, joins a resident server vouches for).
 */
export function coSignEvent<T extends JsonObject>(
  pdu: T,
  version: RoomVersion,
  serverName: string,
  key: SigningKey,
): T {
  const sig = signBytes(key, Buffer.from(redactedSigningJson(pdu, version), "utf8"));
  return { ...pdu, signatures: addSignature(pdu.signatures, serverName, key.keyId, sig) };
}
