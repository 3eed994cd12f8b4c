import { stateKeyOf, type IdentifiedPdu } from "../pdu.ts";
import type { RoomVersion } from "../room-versions.ts";
import type { StateMap, StateTupleKey } from "../state-key.ts";
import { authDifferenceOf, conflictedStateSubgraph, fullAuthChain } from "./auth-chain.ts";
import { EventGraph, findRoomCreateId, POWER_LEVELS_KEY, type StateResSource } from "./event-graph.ts";
import { iterativeAuthChecks } from "./iterative-auth.ts";
import { mainlineSort } from "./mainline.ts";
import { reverseTopologicalPowerOrder, type PowerOrderKey } from "./ordering.ts";
import { senderPowerLevel } from "./sender-power.ts";

/**
 * The unconflicted state map (keys every set maps to the same event) and the conflicted state set
 * (every other key, with all the events the sets give it; a set lacking the key conflicts too).
 */
export function separateStateSets(stateSets: ReadonlyArray<StateMap>): {
  unconflicted: Map<StateTupleKey, string>;
  conflicted: Map<StateTupleKey, Set<string>>;
} {
  const unconflicted = new Map<StateTupleKey, string>();
  const conflicted = new Map<StateTupleKey, Set<string>>();
  const [first, ...others] = stateSets;
  if (first === undefined) return { unconflicted, conflicted };
  const collect = (key: StateTupleKey): Set<string> => {
    const values = new Set<string>();
    for (const set of stateSets) {
      const id = set.get(key);
      if (id !== undefined) values.add(id);
    }
    return values;
  };
  // Almost every key agrees in a large room: check the first set's keys against the others without
  // allocating, and only collect the values of keys that conflict.
  for (const [key, id] of first) {
    if (others.every((set) => set.get(key) === id)) unconflicted.set(key, id);
    else conflicted.set(key, collect(key));
  }
  for (const set of others) {
    for (const key of set.keys())
      if (!first.has(key) && !conflicted.has(key)) conflicted.set(key, collect(key));
  }
  return { unconflicted, conflicted };
}

/**
 * A power event: PL or join rules, or a kick or ban (a leave or ban whose sender is not its target):
 * the events that can take abilities away. Only the type matters for PL and join rules, as the spec
 * words it (Synapse and ruma also require an empty state key, and count the create event).
 */
export function isPowerEvent(event: IdentifiedPdu): boolean {
  const stateKey = stateKeyOf(event);
  if (stateKey === undefined) return false;
  // The spec's wording reads "by type"; Synapse and ruma both also require the empty state key (only
  // that entry confers power) and count the create event. Diverging from them would split rooms.
  if (
    event.type === "m.room.power_levels" ||
    event.type === "m.room.join_rules" ||
    event.type === "m.room.create"
  ) {
    return stateKey === "";
  }
  if (event.type !== "m.room.member") return false;
  const membership = event.content.membership;
  return (membership === "leave" || membership === "ban") && event.sender !== stateKey;
}

/** The full conflicted set: the conflicted state set, the auth difference and (v2.1) the conflicted state subgraph. */
export function fullConflictedSet(
  graph: EventGraph,
  stateSets: ReadonlyArray<StateMap>,
  unconflicted: ReadonlyMap<StateTupleKey, string>,
  conflicted: ReadonlyMap<StateTupleKey, ReadonlySet<string>>,
): Set<string> {
  const conflictedEvents = new Set<string>();
  for (const ids of conflicted.values()) for (const id of ids) conflictedEvents.add(id);
  const full = new Set(conflictedEvents);
  // An event is under one key only, so the events every set shares are exactly the unconflicted ones.
  const own = stateSets.map((set) => {
    const ids: string[] = [];
    for (const key of conflicted.keys()) {
      const id = set.get(key);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  });
  for (const id of authDifferenceOf(graph, unconflicted.values(), own)) full.add(id);
  if (graph.version.stateRes === "v2.1") {
    for (const id of conflictedStateSubgraph(graph, conflictedEvents)) full.add(id);
  }
  for (const id of full) graph.event(id, "full conflicted set"); // fail early and clearly if any is missing
  return full;
}

/**
 * Step 1's set X: the power events of the full conflicted set and every event of their auth chains
 * that is also in the full conflicted set.
 */
export function powerEventsWithAuthChains(graph: EventGraph, full: ReadonlySet<string>): Set<string> {
  const power = [...full].filter((id) => isPowerEvent(graph.event(id)));
  const selected = new Set(power);
  for (const id of fullAuthChain(graph, power)) if (full.has(id)) selected.add(id);
  return selected;
}

/**
 * For each event of `subset`, the nearest events of `subset` among its auth ancestors, passing through
 * events outside it: the auth DAG's order restricted to the subset. Usually an event's auth events in
 * the subset are its direct auth events, but an event of X can sit behind one outside X.
 */
export function restrictedAuthEdges(graph: EventGraph, subset: ReadonlySet<string>): Map<string, string[]> {
  const none: ReadonlySet<string> = new Set();
  // Memo for events outside the subset: the subset events reachable from them without crossing one.
  const frontier = new Map<string, ReadonlySet<string>>();
  // Guards against a malformed (cyclic) auth graph looping forever; such an edge simply does not count.
  const inProgress = new Set<string>();
  const frontierOf = (start: string): ReadonlySet<string> => {
    const stack: Array<{ id: string; expanded: boolean }> = [{ id: start, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (frontier.has(top.id)) {
        stack.pop();
        continue;
      }
      const authIds = graph.authEvents(top.id);
      if (!top.expanded) {
        top.expanded = true;
        inProgress.add(top.id);
        for (const a of authIds) {
          if (!subset.has(a) && !frontier.has(a) && !inProgress.has(a))
            stack.push({ id: a, expanded: false });
        }
        continue;
      }
      stack.pop();
      inProgress.delete(top.id);
      let result: Set<string> | undefined;
      for (const a of authIds) {
        const reached = subset.has(a) ? [a] : (frontier.get(a) ?? none);
        for (const r of reached) (result ??= new Set()).add(r);
      }
      frontier.set(top.id, result ?? none);
    }
    return frontier.get(start)!;
  };
  const edges = new Map<string, string[]>();
  for (const id of subset) {
    const deps = new Set<string>();
    for (const a of graph.authEvents(id)) {
      if (subset.has(a)) deps.add(a);
      else for (const r of frontierOf(a)) deps.add(r);
    }
    edges.set(id, [...deps]);
  }
  return edges;
}

/** Sorts events by the reverse topological power ordering over the auth DAG. */
export function sortByReverseTopologicalPower(graph: EventGraph, eventIds: ReadonlySet<string>): string[] {
  const keys = new Map<string, PowerOrderKey>();
  for (const id of eventIds) {
    keys.set(id, {
      eventId: id,
      senderPowerLevel: senderPowerLevel(graph, id),
      originServerTs: graph.event(id).origin_server_ts,
    });
  }
  const edges = restrictedAuthEdges(graph, eventIds);
  return reverseTopologicalPowerOrder(keys, (id) => edges.get(id) ?? []);
}

/**
 * State resolution v2 (room versions 2–11) and v2.1 (room version 12, MSC4297), chosen by
 * `version.stateRes`. v2.1 starts the first iterative auth checks from the empty map rather than the
 * unconflicted state, and adds the conflicted state subgraph to the full conflicted set.
 */
export function resolveV2(
  version: RoomVersion,
  stateSets: ReadonlyArray<StateMap>,
  source: StateResSource,
): Map<StateTupleKey, string> {
  const { unconflicted, conflicted } = separateStateSets(stateSets);
  if (conflicted.size === 0) return unconflicted;

  const graph = new EventGraph(version, source, findRoomCreateId(stateSets));
  const full = fullConflictedSet(graph, stateSets, unconflicted, conflicted);

  // Steps 1–2: the power events and what they depend on, authorised in power order.
  const powerSet = powerEventsWithAuthChains(graph, full);
  const powerOrder = sortByReverseTopologicalPower(graph, powerSet);
  const start: StateMap = version.stateRes === "v2.1" ? new Map() : unconflicted;
  const changes = iterativeAuthChecks(graph, powerOrder, start);

  // Steps 3–4: everything else, in mainline order against the power levels just resolved.
  const rest = [...full].filter((id) => !powerSet.has(id));
  const powerLevels = changes.get(POWER_LEVELS_KEY) ?? start.get(POWER_LEVELS_KEY);
  iterativeAuthChecks(graph, mainlineSort(graph, rest, powerLevels), start, changes);

  // Step 5: the unconflicted state always wins. The v2 base is the unconflicted map itself, so the
  // state after step 4 is always the unconflicted map plus the changes to other keys.
  const resolved = new Map(unconflicted);
  for (const [key, id] of changes) if (!unconflicted.has(key)) resolved.set(key, id);
  return resolved;
}
