import { isJsonObject, type JsonObject, type JsonValue } from "../json.ts";
import type { AuthContext } from "./context.ts";
import { ALLOW, deny, type AuthResult } from "./result.ts";

/**
 * Checks one signature on a JSON object (spec appendices, "Checking for a signature"): true when
 * `obj.signatures[serverName][keyId]` is a valid signature by the public key (unpadded base64) over
 * the object without `signatures` and `unsigned`. Injected so the rules stay free of key handling.
 */
export type JsonSignatureVerifier = (
  obj: JsonObject,
  serverName: string,
  keyId: string,
  publicKeyB64: string,
) => boolean;

/** Auth rule "membership is invite" sub-rule 1: an invite that claims a third-party invite. */
export function checkThirdPartyInvite(
  ctx: AuthContext,
  thirdPartyInvite: JsonValue | undefined,
  verify: JsonSignatureVerifier,
): AuthResult {
  const target = ctx.event.state_key as string;
  if (ctx.membership(target) === "ban") return deny("target user is banned");
  const signed = isJsonObject(thirdPartyInvite) ? thirdPartyInvite.signed : undefined;
  if (!isJsonObject(signed)) return deny("third_party_invite has no signed object");
  const { mxid, token } = signed;
  if (typeof mxid !== "string" || typeof token !== "string") {
    return deny("third_party_invite.signed must have mxid and token");
  }
  if (mxid !== target) return deny("third_party_invite.signed.mxid does not match the state_key");
  const inviteEvent = ctx.get("m.room.third_party_invite", token);
  if (inviteEvent === undefined) return deny("no m.room.third_party_invite event for the token");
  if (inviteEvent.sender !== ctx.event.sender) {
    return deny("sender does not match the sender of the m.room.third_party_invite event");
  }
  const keys = publicKeys(inviteEvent.content);
  const signatures = signed.signatures;
  if (isJsonObject(signatures)) {
    for (const [server, byKeyId] of Object.entries(signatures)) {
      if (!isJsonObject(byKeyId)) continue;
      for (const keyId of Object.keys(byKeyId)) {
        if (keys.some((key) => verifies(verify, signed, server, keyId, key))) return ALLOW;
      }
    }
  }
  return deny("no signature in third_party_invite.signed matches a public key of the invite");
}

// A malformed key or signature from the invite is simply not a match; the verifier may throw on it.
function verifies(
  verify: JsonSignatureVerifier,
  signed: JsonObject,
  server: string,
  keyId: string,
  key: string,
): boolean {
  try {
    return verify(signed, server, keyId, key);
  } catch {
    return false;
  }
}

/** `public_key` plus every `public_keys[].public_key` of an `m.room.third_party_invite` content. */
function publicKeys(content: JsonObject): string[] {
  const keys: string[] = [];
  if (typeof content.public_key === "string") keys.push(content.public_key);
  if (Array.isArray(content.public_keys)) {
    for (const entry of content.public_keys) {
      if (isJsonObject(entry) && typeof entry.public_key === "string") keys.push(entry.public_key);
    }
  }
  return keys;
}
