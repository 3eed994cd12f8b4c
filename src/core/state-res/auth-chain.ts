import type { StateMap } from "../state-key.ts";
import type { EventGraph } from "./event-graph.ts";

/**
 * The full auth chain of a set of events: everything reachable through auth edges (spec: "Auth chain").
 * An event of the set is in the result only if another one of them (transitively) cites it.
 *
 * @param stopAt events known to be in the chain already together with all their ancestors; the walk
 *   does not enter them (the caller accounts for them).
 */
export function fullAuthChain(
  graph: EventGraph,
  eventIds: Iterable<string>,
  stopAt?: ReadonlySet<string>,
): Set<string> {
  const chain = new Set<string>();
  const stack: string[] = [];
  for (const id of eventIds) {
    for (const authId of graph.authEvents(id)) if (!chain.has(authId)) stack.push(authId);
  }
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (chain.has(id) || stopAt?.has(id)) continue;
    chain.add(id);
    for (const authId of graph.authEvents(id)) {
      if (!chain.has(authId)) stack.push(authId);
    }
  }
  return chain;
}

/**
 * The auth difference of the state sets: ∪ Cᵢ − ∩ Cᵢ, where Cᵢ is the full auth chain of set i.
 */
export function authDifference(graph: EventGraph, stateSets: ReadonlyArray<StateMap>): Set<string> {
  if (stateSets.length < 2) return new Set();
  const counts = new Map<string, number>();
  for (const set of stateSets) {
    // A set lists an event once, under the event's own key, so counting per set is exact.
    for (const id of set.values()) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const shared: string[] = [];
  for (const [id, count] of counts) if (count === stateSets.length) shared.push(id);
  const own = stateSets.map((set) => [...set.values()].filter((id) => counts.get(id) !== stateSets.length));
  return authDifferenceOf(graph, shared, own);
}

/**
 * The auth difference given the events every set shares and each set's other events.
 *
 * In a large room almost all of every set is shared, so walking each set's whole chain would repeat
 * the same work per set. The chain W of the shared events is common to all Cᵢ and is closed under
 * ancestry, so Cᵢ = W ∪ Kᵢ where Kᵢ is the chain of set i's own events walked without entering W;
 * then ∪ Cᵢ − ∩ Cᵢ = ∪ Kᵢ − ∩ Kᵢ.
 */
export function authDifferenceOf(
  graph: EventGraph,
  shared: Iterable<string>,
  own: ReadonlyArray<Iterable<string>>,
): Set<string> {
  const common = fullAuthChain(graph, shared);
  const chains = own.map((ids) => fullAuthChain(graph, ids, common));
  const difference = new Set<string>();
  for (const chain of chains) {
    for (const id of chain) {
      if (!difference.has(id) && chains.some((other) => !other.has(id))) difference.add(id);
    }
  }
  return difference;
}

/**
 * The conflicted state subgraph (room v12, MSC4297): every event on an auth path from one conflicted
 * event to another, endpoints included. An event v is on such a path when some conflicted event
 * reaches v and v reaches some conflicted event, with at least one edge between the two endpoints.
 */
export function conflictedStateSubgraph(graph: EventGraph, conflicted: ReadonlySet<string>): Set<string> {
  // Ancestors (through ≥ 1 edge) of the conflicted events: the only candidates besides the endpoints.
  const ancestors = fullAuthChain(graph, conflicted);
  // reaches[v]: v is conflicted or one of its auth ancestors is. Post-order DFS without recursion, as
  // auth chains can be thousands of events deep.
  const reaches = new Map<string, boolean>();
  // Guards against a malformed (cyclic) auth graph looping forever; such an edge simply does not count.
  const inProgress = new Set<string>();
  const reachesStrictly = (id: string): boolean =>
    graph.authEvents(id).some((authId) => reaches.get(authId) === true);
  for (const start of [...conflicted, ...ancestors]) {
    if (reaches.has(start)) continue;
    const stack: Array<{ id: string; expanded: boolean }> = [{ id: start, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (reaches.has(top.id)) {
        stack.pop();
        continue;
      }
      if (!top.expanded) {
        top.expanded = true;
        inProgress.add(top.id);
        for (const authId of graph.authEvents(top.id)) {
          if (!reaches.has(authId) && !inProgress.has(authId)) stack.push({ id: authId, expanded: false });
        }
        continue;
      }
      stack.pop();
      inProgress.delete(top.id);
      reaches.set(top.id, conflicted.has(top.id) || reachesStrictly(top.id));
    }
  }
  const subgraph = new Set<string>();
  for (const id of ancestors) if (reachesStrictly(id)) subgraph.add(id);
  for (const id of conflicted) if (ancestors.has(id) || reachesStrictly(id)) subgraph.add(id);
  return subgraph;
}
