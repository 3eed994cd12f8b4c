import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { splitStateTupleKey } from "../core/state-key.ts";
import { STRIPPED_STATE_KEYS, strippedState } from "../rooms/stripped-state.ts";
import { getEvent, getEvents } from "../storage/rooms/events.ts";
import { lookupStateEntries } from "../storage/rooms/state-lookup.ts";

type InviteContext = Pick<HearthContext, "db">;

/** Stripped events carried in a PDU's unsigned (federation invites and knocks), pruned to the schema. */
function carriedStrippedState(unsigned: unknown, key: string): JsonObject[] {
  if (!isJsonObject(unsigned)) return [];
  const list = unsigned[key];
  if (!Array.isArray(list)) return [];
  const out: JsonObject[] = [];
  for (const item of list) {
    // Spec (v1.16): servers must not pass through what they received; only these four fields go out.
    if (!isJsonObject(item) || typeof item.type !== "string" || typeof item.state_key !== "string") continue;
    if (typeof item.sender !== "string" || !isJsonObject(item.content)) continue;
    out.push({ type: item.type, state_key: item.state_key, sender: item.sender, content: item.content });
  }
  return out;
}

/**
 * `invite_state.events` / `knock_state.events`: the room's stripped state (create, name, avatar,
 * topic, join rules, canonical alias, encryption), the sender's member event, and the invite or knock
 * itself. Locally known rooms are read from the state after the membership event; invites that came
 * over federation without state carry it in unsigned.
 */
export async function strippedRoomState(
  ctx: InviteContext,
  membershipEventId: string,
): Promise<JsonObject[]> {
  const ev = await getEvent(ctx.db, membershipEventId);
  if (!ev) return [];
  const own = strippedState([ev.pdu]);
  const carriedKey = ev.pdu.content.membership === "knock" ? "knock_room_state" : "invite_room_state";
  const group = ev.stateGroupAfter;
  if (group === null) {
    const carried = carriedStrippedState(ev.pdu.unsigned, carriedKey);
    const byKey = new Map(carried.map((s) => [`${String(s.type)}\u0000${String(s.state_key)}`, s]));
    for (const s of own) byKey.set(`${String(s.type)}\u0000${String(s.state_key)}`, s);
    return [...byKey.values()];
  }
  const keys = [
    ...STRIPPED_STATE_KEYS.map((k) => {
      const [type, stateKey] = splitStateTupleKey(k);
      return { type, stateKey };
    }),
    { type: "m.room.member", stateKey: ev.pdu.sender },
  ];
  const entries = (await lookupStateEntries(ctx.db, [group], keys)).get(group) ?? new Map<string, string>();
  const ids = [...entries.values()].filter((id) => id !== ev.eventId);
  const events = await getEvents(ctx.db, ids);
  return [...strippedState(ids.flatMap((id) => events.get(id)?.pdu ?? [])), ...own];
}
