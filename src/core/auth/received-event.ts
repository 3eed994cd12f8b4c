import { authTypesForEvent, checkAuth, checkAuthEventsSelection, type AuthResult } from "../auth-rules.ts";
import type { IdentifiedPdu } from "../pdu.ts";
import { stateKeyOf } from "../pdu.ts";
import type { RoomVersion } from "../room-versions.ts";
import { stateTupleKey, type StateTupleKey } from "../state-key.ts";

export const CREATE_KEY = stateTupleKey("m.room.create", "");

/** The state keys the auth rules consult for `event` (its auth selection, plus the create event). */
export function authStateKeys(version: RoomVersion, event: IdentifiedPdu): StateTupleKey[] {
  const keys = authTypesForEvent(version, {
    type: event.type,
    sender: event.sender,
    state_key: stateKeyOf(event),
    content: event.content,
  }).map(([t, k]) => stateTupleKey(t, k));
  return keys.includes(CREATE_KEY) ? keys : [...keys, CREATE_KEY];
}

/**
 * Step 4 of the checks on receipt: the event against the auth events it cites. `authEvents` are the
 * cited events as stored (`rejected` tells which of them were rejected); `create` is the room's create
 * event, which v12 events do not cite but the rules need.
 */
export function checkAgainstAuthEvents(
  version: RoomVersion,
  event: IdentifiedPdu,
  authEvents: readonly IdentifiedPdu[],
  rejected: ReadonlySet<string>,
  create: IdentifiedPdu | undefined,
): AuthResult {
  const bad = authEvents.find((e) => rejected.has(e.event_id));
  if (bad) return { allowed: false, reason: `auth event ${bad.event_id} was rejected` };
  const selection = checkAuthEventsSelection(version, event, authEvents);
  if (!selection.allowed) return selection;
  const state = new Map<StateTupleKey, IdentifiedPdu>();
  for (const e of authEvents) {
    const k = stateKeyOf(e);
    if (k !== undefined) state.set(stateTupleKey(e.type, k), e);
  }
  if (create && !state.has(CREATE_KEY)) state.set(CREATE_KEY, create);
  return checkAuth(version, event, state);
}
