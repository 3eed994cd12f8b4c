import type { HearthContext } from "../context.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";
import { getEvents } from "../storage/rooms/events.ts";
import { lookupStateEntries } from "../storage/rooms/state-lookup.ts";

/**
 * The m.room.member events of `userIds` in a state group: what lazy-loading clients get in `state`
 * alongside a page of events (spec "Lazy-loading room members"). Redundant members are always sent:
 * the server keeps no record of what a client already has, which the spec permits.
 */
export async function memberEventsAt(
  ctx: Pick<HearthContext, "db">,
  stateGroup: number,
  userIds: Iterable<string>,
): Promise<StoredEvent[]> {
  const keys = [...new Set(userIds)].map((userId) => ({ type: "m.room.member", stateKey: userId }));
  if (keys.length === 0) return [];
  const entries = (await lookupStateEntries(ctx.db, [stateGroup], keys)).get(stateGroup);
  if (!entries || entries.size === 0) return [];
  const events = await getEvents(ctx.db, [...entries.values()]);
  return [...entries.values()].flatMap((id) => {
    const ev = events.get(id);
    return ev ? [ev] : [];
  });
}
