/**
 * Which servers must have signed an event, and which keys count (spec server-server §Validating
 * hashes and signatures on received events; rooms v5 §Signing key validity period; v8 auth rule 4.2).
 */
import { isJsonObject, type JsonObject } from "./json.ts";
import type { RoomVersion } from "./room-versions.ts";
import { EventFormatError } from "./event-format-error.ts";

/** The server part of `@user:server` / `$id:server`, which may itself contain a port colon. */
function serverPart(id: unknown, sigil: string, what: string): string {
  if (typeof id !== "string" || !id.startsWith(sigil)) throw new EventFormatError(`Invalid ${what}`);
  const i = id.indexOf(":");
  if (i < 0 || i === id.length - 1) throw new EventFormatError(`${what} has no server name`);
  return id.slice(i + 1);
}

/**
 * The servers whose signatures an event needs, in no particular order, without duplicates:
 * - the sender's server, except for an invite made from a third-party invite (the invite may be sent
 *   by another server than the sender's; the auth rules check the 3pid signature instead), as in
 *   Synapse and ruma;
 * - v1/v2: the server in the `event_id`;
 * - v8+ (restricted joins): the server of `content.join_authorised_via_users_server` on any
 *   m.room.member event carrying it (auth rule 4.2 applies to every membership; Synapse's signature
 *   stage checks joins only, but its auth rules then reject the rest all the same).
 * The invited server's counter-signature on invites is added by the /invite flow but is not required
 * on receipt (gomatrixserverlib asks for it; the spec and Synapse do not).
 * Throws `EventFormatError` when an id needed here is malformed.
 */
export function requiredSignatureServers(pdu: JsonObject, version: RoomVersion): string[] {
  const servers = new Set<string>();
  const content = isJsonObject(pdu.content) ? pdu.content : {};
  const isMember = pdu.type === "m.room.member";
  const isThirdPartyInvite =
    isMember && content.membership === "invite" && Object.hasOwn(content, "third_party_invite");
  if (!isThirdPartyInvite) servers.add(serverPart(pdu.sender, "@", "sender"));
  if (version.eventIdFormat === "v1") servers.add(serverPart(pdu.event_id, "$", "event_id"));
  if (version.restrictedJoins && isMember && Object.hasOwn(content, "join_authorised_via_users_server")) {
    servers.add(
      serverPart(content.join_authorised_via_users_server, "@", "join_authorised_via_users_server"),
    );
  }
  return [...servers];
}

/** Keys may not be trusted further ahead than this, whatever `valid_until_ts` says (rooms v5). */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Whether a key with `valid_until_ts` = `keyValidUntilTs` may verify an event sent at `eventTs`:
 * v5+ require `valid_until_ts ≥ origin_server_ts`; v1–v4 ignore validity periods.
 * Pass the value from `capKeyValidUntil`, not the raw one.
 */
export function isKeyValidForEvent(version: RoomVersion, keyValidUntilTs: number, eventTs: number): boolean {
  return !version.enforceKeyValidity || eventTs <= keyValidUntilTs;
}

/**
 * An `old_verify_keys` entry is ignored for events sent after its `expired_ts` (all room versions).
 * The spec ignores keys that "expired prior to the event's origin_server_ts", so an event sent at the
 * very millisecond of expiry still counts (gomatrixserverlib is one millisecond stricter).
 */
export function isOldKeyValidForEvent(expiredTs: number, eventTs: number): boolean {
  return eventTs <= expiredTs;
}

/** The lesser of `valid_until_ts` and 7 days after the moment the key response was received. */
export function capKeyValidUntil(validUntilTs: number, fetchedAtTs: number): number {
  return Math.min(validUntilTs, fetchedAtTs + MAX_KEY_VALIDITY_MS);
}
