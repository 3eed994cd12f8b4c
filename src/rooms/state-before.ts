import type { RoomVersion } from "../core/room-versions.ts";
import type { StateTupleKey } from "../core/state-key.ts";
import type { Db } from "../storage/database.ts";
import { getCurrentStateIdsFor } from "../storage/rooms/current-state-writes.ts";
import { getEvents, type StoredEvent } from "../storage/rooms/events.ts";
import { loadStateGroup } from "../storage/rooms/state-groups.ts";
import { resolveStoredStates } from "./resolve-stored-states.ts";

/**
 * The room state an event is built on (or was received with): the state after its prev events,
 * resolved when they disagree. Lookups are lazy, because a message in a room of 10,000 members needs
 * five entries of that state, not all of it.
 */
export interface StateBefore {
  /** A stored state group holding exactly this state; undefined when it was resolved (or is empty). */
  readonly groupId: number | undefined;
  /** A group to write this state as a delta on, when `groupId` is undefined. */
  readonly deltaBase: number | undefined;
  /** Whether this is the room's current state (the prev events are all its forward extremities). */
  readonly isCurrent: boolean;
  /** The prev events, as loaded to find their state. */
  readonly prevEvents: ReadonlyMap<string, StoredEvent>;
  lookup(keys: readonly StateTupleKey[]): Promise<Map<StateTupleKey, string>>;
  full(): Promise<Map<StateTupleKey, string>>;
}

export class MissingPrevStateError extends Error {}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** A StateBefore over a state computed by the caller (e.g. resolved from states fetched over federation). */
export function stateBeforeFromMap(
  state: Map<StateTupleKey, string>,
  opts: { deltaBase?: number; isCurrent: boolean; prevEvents: ReadonlyMap<string, StoredEvent> },
): StateBefore {
  return {
    groupId: undefined,
    deltaBase: opts.deltaBase,
    isCurrent: opts.isCurrent,
    prevEvents: opts.prevEvents,
    lookup: async (keys) => {
      const out = new Map<StateTupleKey, string>();
      for (const k of keys) {
        const id = state.get(k);
        if (id !== undefined) out.set(k, id);
      }
      return out;
    },
    full: async () => new Map(state),
  };
}

/**
 * The state before an event citing `prevIds`, given the room's forward extremities. Throws
 * `MissingPrevStateError` when a prev event is unknown or has no state (an outlier): the caller must
 * fetch that state first (federation). `known` may hold the prev events already (the write cache).
 */
export async function computeStateBefore(
  db: Db,
  roomId: string,
  version: RoomVersion,
  prevIds: readonly string[],
  extremityIds: readonly string[],
  known?: ReadonlyMap<string, StoredEvent>,
): Promise<StateBefore> {
  const isCurrent = extremityIds.length > 0 && sameSet(prevIds, extremityIds);
  if (prevIds.length === 0) {
    return stateBeforeFromMap(new Map(), { isCurrent: extremityIds.length === 0, prevEvents: new Map() });
  }

  const prevs =
    known && prevIds.every((id) => known.has(id))
      ? new Map(prevIds.map((id) => [id, known.get(id)!]))
      : await getEvents(db, prevIds);
  const groups: number[] = [];
  for (const id of prevIds) {
    const group = prevs.get(id)?.stateGroupAfter;
    if (group === undefined || group === null) throw new MissingPrevStateError(`no state after ${id}`);
    if (!groups.includes(group)) groups.push(group);
  }

  if (groups.length === 1) {
    const groupId = groups[0]!;
    let loaded: Promise<Map<StateTupleKey, string>> | undefined;
    const full = (): Promise<Map<StateTupleKey, string>> => (loaded ??= loadStateGroup(db, groupId));
    return {
      groupId,
      deltaBase: undefined,
      isCurrent,
      prevEvents: prevs,
      // Current state is kept equal to the state after the extremities, and it answers by key.
      lookup: async (keys) => {
        if (isCurrent) return getCurrentStateIdsFor(db, roomId, keys);
        const state = await full();
        const out = new Map<StateTupleKey, string>();
        for (const k of keys) {
          const id = state.get(k);
          if (id !== undefined) out.set(k, id);
        }
        return out;
      },
      full: async () => new Map(await full()),
    };
  }

  const sets = await Promise.all(groups.map((g) => loadStateGroup(db, g)));
  const resolved = await resolveStoredStates(db, version, sets);
  return stateBeforeFromMap(resolved, { deltaBase: groups[0], isCurrent, prevEvents: prevs });
}
