import type { JsonObject } from "../core/json.ts";
import type { IdentifiedPdu } from "../core/pdu.ts";
import { stateTupleKey, type StateTupleKey } from "../core/state-key.ts";

/**
 * The state an invitee or knocker sees before joining (client-server "Stripped state"): enough to
 * show and judge the room. The create event is required since v1.16.
 */
export const STRIPPED_STATE_KEYS: readonly StateTupleKey[] = [
  "m.room.create",
  "m.room.name",
  "m.room.avatar",
  "m.room.topic",
  "m.room.join_rules",
  "m.room.canonical_alias",
  "m.room.encryption",
].map((t) => stateTupleKey(t, ""));

/** The given state events in stripped form (type, state_key, sender, content). */
export function strippedState(events: Iterable<IdentifiedPdu>): JsonObject[] {
  const out: JsonObject[] = [];
  for (const ev of events) {
    if (typeof ev.state_key !== "string") continue;
    out.push({ type: ev.type, state_key: ev.state_key, sender: ev.sender, content: ev.content });
  }
  return out;
}
