import { isJsonObject, type JsonObject } from "../json.ts";
import { stateKeyOf, type IdentifiedPdu } from "../pdu.ts";
import type { RoomVersion } from "../room-versions.ts";
import { stateTupleKey } from "../state-key.ts";
import { ALLOW, deny, type AuthResult } from "./result.ts";

/** What `authTypesForEvent` needs to know about an event (also usable for an event being built). */
export interface AuthSelectionInput {
  readonly type: string;
  readonly sender: string;
  readonly state_key?: string | undefined;
  readonly content: JsonObject;
}

/**
 * The (type, state_key) pairs an event's `auth_events` may cite (server-server API, "Auth events
 * selection"): the create event (v1–v11 only), the power levels, the sender's membership, and for
 * membership events the target's membership, the join rules (join/invite/knock), the third-party
 * invite named by the token, and the authorising user's membership (restricted joins).
 */
export function authTypesForEvent(
  version: RoomVersion,
  event: AuthSelectionInput,
): Array<[type: string, stateKey: string]> {
  if (event.type === "m.room.create") return [];
  const types: Array<[string, string]> = [];
  const add = (type: string, stateKey: string): void => {
    if (!types.some(([t, k]) => t === type && k === stateKey)) types.push([type, stateKey]);
  };
  if (version.createEventInAuthEvents) add("m.room.create", "");
  add("m.room.power_levels", "");
  add("m.room.member", event.sender);
  if (event.type === "m.room.member" && typeof event.state_key === "string") {
    const membership = event.content.membership;
    add("m.room.member", event.state_key);
    if (membership === "join" || membership === "invite" || membership === "knock")
      add("m.room.join_rules", "");
    if (membership === "invite") {
      const tpi = event.content.third_party_invite;
      const signed = isJsonObject(tpi) ? tpi.signed : undefined;
      if (isJsonObject(signed) && typeof signed.token === "string")
        add("m.room.third_party_invite", signed.token);
    }
    const authoriser = event.content.join_authorised_via_users_server;
    if (membership === "join" && version.restrictedJoins && typeof authoriser === "string") {
      add("m.room.member", authoriser);
    }
  }
  return types;
}

/**
 * The auth rules' checks on the cited `auth_events` themselves (v1 rule 2, v12 rule 3): no duplicate
 * (type, state_key), nothing outside the selection, the create event present (v1–v11) or absent (v12),
 * and every auth event from the same room (MSC4307). Whether an auth event was itself rejected is the
 * caller's to check. The create event is exempt: rule 1 decides it before auth_events are considered.
 */
export function checkAuthEventsSelection(
  version: RoomVersion,
  event: IdentifiedPdu,
  authEvents: readonly IdentifiedPdu[],
): AuthResult {
  if (event.type === "m.room.create") return ALLOW;
  const input = {
    type: event.type,
    sender: event.sender,
    state_key: stateKeyOf(event),
    content: event.content,
  };
  const allowed = new Set(authTypesForEvent(version, input).map(([t, k]) => stateTupleKey(t, k)));
  const seen = new Set<string>();
  let hasCreate = false;
  for (const authEvent of authEvents) {
    const stateKey = authEvent.state_key;
    if (typeof stateKey !== "string") return deny(`auth event ${authEvent.event_id} is not a state event`);
    const key = stateTupleKey(authEvent.type, stateKey);
    if (seen.has(key))
      return deny(`duplicate auth events for (${authEvent.type}, ${JSON.stringify(stateKey)})`);
    seen.add(key);
    if (authEvent.type === "m.room.create" && stateKey === "") {
      if (!version.createEventInAuthEvents)
        return deny("m.room.create must not be in auth_events in this room version");
      hasCreate = true;
    }
    if (!allowed.has(key)) {
      return deny(
        `auth event (${authEvent.type}, ${JSON.stringify(stateKey)}) is not one the event may cite`,
      );
    }
    if (authEvent.room_id !== event.room_id)
      return deny(`auth event ${authEvent.event_id} is from another room`);
  }
  if (version.createEventInAuthEvents && !hasCreate)
    return deny("auth_events does not include the m.room.create event");
  return ALLOW;
}
