/**
 * A state map is keyed by (event type, state key). Both parts are arbitrary strings, so they are joined
 * with a NUL, which Matrix forbids in both.
 */
export type StateTupleKey = string;

export function stateTupleKey(type: string, stateKey: string): StateTupleKey {
  return `${type}\u0000${stateKey}`;
}

export function splitStateTupleKey(key: StateTupleKey): [type: string, stateKey: string] {
  const i = key.indexOf("\u0000");
  return [key.slice(0, i), key.slice(i + 1)];
}

/** State as (type, state key) → event id. */
export type StateMap = ReadonlyMap<StateTupleKey, string>;
