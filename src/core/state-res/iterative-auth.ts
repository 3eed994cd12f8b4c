import { authTypesForEvent, checkAuth } from "../auth-rules.ts";
import type { IdentifiedPdu } from "../pdu.ts";
import { stateTupleKey, type StateTupleKey } from "../state-key.ts";
import { CREATE_KEY, stateKeyTupleOf, type EventGraph } from "./event-graph.ts";

/**
 * The iterative auth checks: apply each event, in order, to the state if the auth rules allow it
 * against that state. A key the rules need but the state lacks is taken from the event's own auth
 * events. Rejected events are never used to authorise (spec: "Rejected auth events are deliberately
 * excluded"); an event that was itself rejected on receipt is still re-checked like any other, since
 * the spec handles events rejected against the state at the event "as usual".
 *
 * The state is `base` overlaid with `changes`, and only `changes` is written: in a large room the
 * base (the unconflicted state) holds thousands of entries that copying would only churn.
 *
 * @returns `changes`, with the events applied here added.
 */
export function iterativeAuthChecks(
  graph: EventGraph,
  eventIds: Iterable<string>,
  base: ReadonlyMap<StateTupleKey, string>,
  changes: Map<StateTupleKey, string> = new Map(),
): Map<StateTupleKey, string> {
  const state: StateLookup = { get: (key) => changes.get(key) ?? base.get(key) };
  for (const eventId of eventIds) {
    const event = graph.event(eventId, "iterative auth checks");
    const key = stateKeyTupleOf(event);
    if (key === undefined) continue; // a message event cannot become state
    const authState = authStateFor(graph, event, state);
    if (checkAuth(graph.version, event, authState).allowed) changes.set(key, eventId);
  }
  return changes;
}

interface StateLookup {
  get(key: StateTupleKey): string | undefined;
}

function authStateFor(
  graph: EventGraph,
  event: IdentifiedPdu,
  state: StateLookup,
): Map<StateTupleKey, IdentifiedPdu> {
  const authState = new Map<StateTupleKey, IdentifiedPdu>();
  // The event's own auth events first (the implicit v12 create event included), so the partial state
  // only has to override them.
  for (const id of graph.authEvents(event.event_id)) {
    if (graph.isRejected(id)) continue;
    const authEvent = graph.event(id, `auth event of ${event.event_id}`);
    const authKey = stateKeyTupleOf(authEvent);
    if (authKey !== undefined) authState.set(authKey, authEvent);
  }
  const needed = authTypesForEvent(graph.version, event).map(([type, stateKey]) =>
    stateTupleKey(type, stateKey),
  );
  // The rules always consult the create event; from v12 it is no longer an auth type.
  if (!needed.includes(CREATE_KEY)) needed.push(CREATE_KEY);
  for (const key of needed) {
    const id = state.get(key);
    if (id === undefined || graph.isRejected(id)) continue;
    authState.set(key, graph.event(id, "state consulted by the auth rules"));
  }
  return authState;
}
