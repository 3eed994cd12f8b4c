/**
 * The authorisation rules for room versions 1–12 (spec: rooms/fragments/v1-auth-rules, v3-auth-rules,
 * v8-auth-rules; inline in rooms/v6, v7, v10, v11, v12). Pure: the caller passes the state to check
 * against and, for third-party invites, a signature verifier.
 *
 * Rule 2 of v1–v11 / rule 3 of v12 (the cited auth_events themselves) lives in
 * `checkAuthEventsSelection`, because it looks at the event's auth_events list rather than at a state
 * map; callers checking an event against its auth events run both.
 */
import { isJsonObject } from "./json.ts";
import type { IdentifiedPdu } from "./pdu.ts";
import { requiredPowerLevel } from "./power-levels.ts";
import type { RoomVersion } from "./room-versions.ts";
import { stateTupleKey } from "./state-key.ts";
import { AuthContext } from "./auth/context.ts";
import { checkCreate } from "./auth/create.ts";
import { defaultJsonSignatureVerifier } from "./auth/default-verifier.ts";
import { domainOf, isValidUserId } from "./auth/identifiers.ts";
import { checkMember } from "./auth/member.ts";
import type { AuthOptions } from "./auth/options.ts";
import { checkPowerLevelsEvent } from "./auth/power-levels.ts";
import { checkRedactionV1 } from "./auth/redaction.ts";
import { ALLOW, deny, type AuthResult } from "./auth/result.ts";
import { authTypesForEvent } from "./auth/selection.ts";

export type { AuthResult } from "./auth/result.ts";
export type { AuthOptions } from "./auth/options.ts";
export type { JsonSignatureVerifier } from "./auth/third-party-invite.ts";
export { authTypesForEvent, checkAuthEventsSelection, type AuthSelectionInput } from "./auth/selection.ts";

/**
 * Whether `event` is allowed against `authState` (keyed by `stateTupleKey(type, stateKey)`; it must
 * hold the create event, for v12 too even though v12 events do not cite it). Only the entries the
 * rules consult are read, so a whole state map may be passed.
 */
export function checkAuth(
  version: RoomVersion,
  event: IdentifiedPdu,
  authState: ReadonlyMap<string, IdentifiedPdu>,
  options: AuthOptions = {},
): AuthResult {
  // Event-format preconditions every server enforces before the numbered rules.
  if (!isValidUserId(event.sender)) return deny("sender is not a valid user id");
  if (!isJsonObject(event.content)) return deny("content is not an object");

  if (event.type === "m.room.create") return checkCreate(version, event);

  const create = authState.get(stateTupleKey("m.room.create", ""));
  if (create === undefined) return deny("no m.room.create event in the auth state");
  const roomCheck = checkRoom(version, event, create, authState);
  if (!roomCheck.allowed) return roomCheck;

  if (create.content["m.federate"] === false && domainOf(event.sender) !== domainOf(create.sender)) {
    return deny("room is not federated (m.federate is false) and the sender is on another server");
  }

  if (version.specialCaseAliases && event.type === "m.room.aliases") {
    if (typeof event.state_key !== "string") return deny("m.room.aliases has no state_key");
    if (event.state_key !== domainOf(event.sender)) {
      return deny("m.room.aliases state_key must be the sender's domain");
    }
    return ALLOW;
  }

  const ctx = new AuthContext(version, event, create, authState);
  if (event.type === "m.room.member") {
    return checkMember(ctx, options, options.verifyJsonSignature ?? defaultJsonSignatureVerifier);
  }

  if (ctx.membership(event.sender) !== "join") return deny("sender is not joined to the room");
  const senderLevel = ctx.powerLevel(event.sender);

  if (event.type === "m.room.third_party_invite") {
    if (senderLevel >= ctx.powerLevels.invite) return ALLOW;
    return deny("sender's power level is below the invite level");
  }

  const isState = typeof event.state_key === "string";
  if (requiredPowerLevel(version, ctx.powerLevels, event.type, isState) > senderLevel) {
    return deny(`sender's power level is too low to send ${event.type}`);
  }

  if (isState && (event.state_key as string).startsWith("@") && event.state_key !== event.sender) {
    return deny("state_key starts with @ but is not the sender");
  }

  if (event.type === "m.room.power_levels") return checkPowerLevelsEvent(ctx);

  if (version.redactionInAuthRules && event.type === "m.room.redaction")
    return checkRedactionV1(ctx, senderLevel);

  return ALLOW;
}

/**
 * v12 rule 2: the room id is the create event's id with `!` for `$`. Before v12 the create event
 * carries the room id itself. Either way, every state entry the rules consult must be from this room:
 * the auth_events rule enforces that for cited events, this keeps state-based checks honest too.
 */
function checkRoom(
  version: RoomVersion,
  event: IdentifiedPdu,
  create: IdentifiedPdu,
  authState: ReadonlyMap<string, IdentifiedPdu>,
): AuthResult {
  // A create event with an invalid sender could never have been accepted (the rule above).
  if (!isValidUserId(create.sender)) return deny("the m.room.create event's sender is not a valid user id");
  if (version.roomIdFromCreateEvent) {
    if (event.room_id !== "!" + create.event_id.slice(1)) {
      return deny("room_id is not derived from the m.room.create event id");
    }
  } else if (create.room_id !== event.room_id) {
    return deny("the m.room.create event is from another room");
  }
  const stateKey = typeof event.state_key === "string" ? event.state_key : undefined;
  for (const [type, key] of authTypesForEvent(version, { ...event, state_key: stateKey })) {
    if (type === "m.room.create") continue;
    const entry = authState.get(stateTupleKey(type, key));
    if (entry !== undefined && entry.room_id !== event.room_id) {
      return deny(`state event (${type}, ${JSON.stringify(key)}) is from another room`);
    }
  }
  return ALLOW;
}
