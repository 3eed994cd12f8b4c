import type { StateTupleKey } from "../core/state-key.ts";
import type { Db } from "../storage/database.ts";
import { insertStateGroup, stateGroupDeltaDepth } from "../storage/rooms/state-group-writes.ts";

/**
 * Past this many deltas a new group is written as a full snapshot, so loading any group reads at most
 * this many small deltas plus one snapshot.
 */
export const MAX_DELTA_DEPTH = 50;

/**
 * Writes the state `base + changes` as a new group: a delta on `base` while the chain is short, a
 * full snapshot (from `fullState`, called only then) once it would pass MAX_DELTA_DEPTH, or when
 * there is no base. `knownDepths` holds delta depths the caller already knows (group id → depth), so
 * the base's need not be read. Returns the new group's id and delta depth.
 */
export async function writeStateGroup(
  tx: Db,
  roomId: string,
  base: number | undefined,
  changes: ReadonlyMap<StateTupleKey, string | null>,
  fullState: () => Promise<Map<StateTupleKey, string>>,
  knownDepths?: ReadonlyMap<number, number>,
): Promise<{ id: number; depth: number }> {
  if (base !== undefined) {
    const depth = (knownDepths?.get(base) ?? (await stateGroupDeltaDepth(tx, base))) + 1;
    if (depth <= MAX_DELTA_DEPTH) {
      const id = await insertStateGroup(tx, { roomId, prevGroup: base, deltaDepth: depth, entries: changes });
      return { id, depth };
    }
  }
  const state = await fullState();
  const id = await insertStateGroup(tx, { roomId, prevGroup: null, deltaDepth: 0, entries: state });
  return { id, depth: 0 };
}

/** The changes turning `from` into `to` (null removes an entry). */
export function diffStates(
  from: ReadonlyMap<StateTupleKey, string>,
  to: ReadonlyMap<StateTupleKey, string>,
): Map<StateTupleKey, string | null> {
  const changes = new Map<StateTupleKey, string | null>();
  for (const [k, id] of to) if (from.get(k) !== id) changes.set(k, id);
  for (const k of from.keys()) if (!to.has(k)) changes.set(k, null);
  return changes;
}
