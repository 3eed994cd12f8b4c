/**
 * State resolution (spec: rooms/v1.md, rooms/fragments/v2-state-res.md, rooms/v12.md). Pure and
 * synchronous: the caller preloads the events of the state sets and their auth chains into `source`.
 */
import type { RoomVersion } from "../room-versions.ts";
import type { StateMap, StateTupleKey } from "../state-key.ts";
import type { StateResSource } from "./event-graph.ts";
import { resolveV1 } from "./v1.ts";
import { resolveV2 } from "./v2.ts";

export { MissingEventError, type StateResSource } from "./event-graph.ts";

/**
 * Resolves state sets (e.g. the states after each prev event) into one state, with the algorithm of
 * the room version.
 *
 * @throws MissingEventError when `source` lacks an event the algorithm needs.
 */
export function resolveState(
  version: RoomVersion,
  stateSets: ReadonlyArray<StateMap>,
  source: StateResSource,
): Map<StateTupleKey, string> {
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  switch (version.stateRes) {
    case "v1":
      return resolveV1(version, stateSets, source);
    case "v2":
    case "v2.1":
      return resolveV2(version, stateSets, source);
  }
}
