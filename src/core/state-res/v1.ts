import { createHash } from "node:crypto";
import { authTypesForEvent, checkAuth } from "../auth-rules.ts";
import type { IdentifiedPdu } from "../pdu.ts";
import type { RoomVersion } from "../room-versions.ts";
import { splitStateTupleKey, stateTupleKey, type StateMap, type StateTupleKey } from "../state-key.ts";
import {
  CREATE_KEY,
  EventGraph,
  findRoomCreateId,
  POWER_LEVELS_KEY,
  type StateResSource,
} from "./event-graph.ts";
import { compareNumbers } from "./ordering.ts";

/**
 * State resolution for room version 1 (spec: rooms/v1.md, "State resolution"). Known to reset state;
 * kept only so v1 rooms can be joined and followed.
 *
 * The spec leaves two points open, settled here as Synapse does so servers agree:
 * - each conflicted join rules or member key is resolved against R as it stood before that stage,
 *   so the result does not depend on the order keys are visited in;
 * - when no candidate for an ordinary key passes auth, the last one in order (lowest depth) is kept.
 */
export function resolveV1(
  version: RoomVersion,
  stateSets: ReadonlyArray<StateMap>,
  source: StateResSource,
): Map<StateTupleKey, string> {
  // A conflict is two sets giving a key different events; a key some sets lack is not a conflict here.
  const byKey = new Map<StateTupleKey, Set<string>>();
  for (const set of stateSets) {
    for (const [key, id] of set) {
      let ids = byKey.get(key);
      if (ids === undefined) byKey.set(key, (ids = new Set()));
      ids.add(id);
    }
  }
  const resolved = new Map<StateTupleKey, string>();
  const conflicts = new Map<StateTupleKey, IdentifiedPdu[]>();
  const graph = new EventGraph(version, source, findRoomCreateId(stateSets));
  for (const [key, ids] of byKey) {
    if (ids.size === 1) resolved.set(key, ids.values().next().value!);
    else
      conflicts.set(
        key,
        [...ids].map((id) => graph.event(id, "conflicted state")),
      );
  }
  if (conflicts.size === 0) return resolved;

  const allowed = (event: IdentifiedPdu, r: ReadonlyMap<StateTupleKey, string>): boolean => {
    const authState = new Map<StateTupleKey, IdentifiedPdu>();
    const keys = authTypesForEvent(version, event).map(([type, stateKey]) => stateTupleKey(type, stateKey));
    for (const key of [...keys, CREATE_KEY]) {
      const id = r.get(key);
      if (id !== undefined) authState.set(key, graph.event(id, "state consulted by the auth rules"));
    }
    return checkAuth(version, event, authState).allowed;
  };

  // PL, then join rules, then members: each stage sees the previous stages' results.
  const stages: Array<(type: string, key: StateTupleKey) => boolean> = [
    (_type, key) => key === POWER_LEVELS_KEY,
    (type) => type === "m.room.join_rules",
    (type) => type === "m.room.member",
  ];
  const done = new Set<StateTupleKey>();
  for (const inStage of stages) {
    const snapshot = new Map(resolved);
    for (const [key, events] of conflicts) {
      if (done.has(key) || !inStage(splitStateTupleKey(key)[0], key)) continue;
      resolved.set(key, resolveAuthKey(key, events, snapshot, allowed));
      done.add(key);
    }
  }
  const snapshot = new Map(resolved);
  for (const [key, events] of conflicts) {
    if (done.has(key)) continue;
    // Highest depth, then lowest sha1(event_id), that passes auth; else the last in that order.
    const ordered = sortByDepthAndHash(events).reverse();
    const winner = ordered.find((event) => allowed(event, snapshot)) ?? ordered[ordered.length - 1]!;
    resolved.set(key, winner.event_id);
  }
  return resolved;
}

/**
 * Ascending depth then descending sha1(event_id): the first event is taken, each next one replaces it
 * while the auth rules allow it in the state so far, and the first refusal ends the stage.
 */
function resolveAuthKey(
  key: StateTupleKey,
  events: IdentifiedPdu[],
  state: ReadonlyMap<StateTupleKey, string>,
  allowed: (event: IdentifiedPdu, r: ReadonlyMap<StateTupleKey, string>) => boolean,
): string {
  const [first, ...rest] = sortByDepthAndHash(events);
  const r = new Map(state);
  r.set(key, first!.event_id);
  for (const event of rest) {
    if (!allowed(event, r)) break;
    r.set(key, event.event_id);
  }
  return r.get(key)!;
}

/** Ascending depth, then descending sha1(event_id) as lowercase hex. */
export function sortByDepthAndHash(events: readonly IdentifiedPdu[]): IdentifiedPdu[] {
  const keyed = events.map((event) => ({
    event,
    depth: typeof event.depth === "number" ? event.depth : 0,
    hash: createHash("sha1").update(event.event_id, "utf8").digest("hex"),
  }));
  keyed.sort((a, b) => compareNumbers(a.depth, b.depth) || (a.hash < b.hash ? 1 : a.hash > b.hash ? -1 : 0));
  return keyed.map((k) => k.event);
}
