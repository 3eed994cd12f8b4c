import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { JsonObject, JsonValue } from "../../src/core/json.ts";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import { getRoomVersion, type RoomVersion } from "../../src/core/room-versions.ts";
import { splitStateTupleKey, stateTupleKey, type StateTupleKey } from "../../src/core/state-key.ts";
import type { StateResSource } from "../../src/core/state-res/index.ts";

const FIXTURES = new URL("./fixtures/state-res/", import.meta.url);

export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(relative, FIXTURES));
}

export function readFixture<T>(relative: string): T {
  return JSON.parse(readFileSync(fixturePath(relative), "utf8")) as T;
}

export function roomVersion(id: string): RoomVersion {
  const version = getRoomVersion(id);
  if (version === undefined) throw new Error(`unknown room version ${id}`);
  return version;
}

/** A source over an in-memory event list, optionally marking some events rejected. */
export class MemorySource implements StateResSource {
  readonly events = new Map<string, IdentifiedPdu>();
  readonly rejected = new Set<string>();
  readonly lookups: string[] = [];

  constructor(events: Iterable<IdentifiedPdu> = []) {
    for (const event of events) this.add(event);
  }

  add(event: IdentifiedPdu): void {
    this.events.set(event.event_id, event);
  }

  getEvent(eventId: string): IdentifiedPdu | undefined {
    return this.events.get(eventId);
  }

  isRejected(eventId: string): boolean {
    return this.rejected.has(eventId);
  }

  get(eventId: string): IdentifiedPdu {
    const event = this.events.get(eventId);
    if (event === undefined) throw new Error(`test bug: no event ${eventId}`);
    return event;
  }

  /** The state map listing these events under their own (type, state_key). */
  stateOf(eventIds: Iterable<string>): Map<StateTupleKey, string> {
    const state = new Map<StateTupleKey, string>();
    for (const id of eventIds) {
      const event = this.get(id);
      if (typeof event.state_key !== "string") throw new Error(`test bug: ${id} is not a state event`);
      state.set(stateTupleKey(event.type, event.state_key), id);
    }
    return state;
  }
}

/** Fills the PDU fields the fixtures leave out (they only carry what state resolution reads). */
export function toPdu(raw: JsonObject): IdentifiedPdu {
  return {
    depth: 0,
    prev_events: [],
    auth_events: [],
    content: {},
    origin_server_ts: 0,
    ...raw,
  } as JsonObject as IdentifiedPdu;
}

/** A minimal state event for graph-only tests, citing `authEvents`. */
export function graphEvent(eventId: string, authEvents: readonly string[]): IdentifiedPdu {
  return toPdu({
    event_id: eventId,
    type: "x",
    state_key: eventId,
    sender: "@x:example.com",
    auth_events: [...authEvents],
  });
}

/** A state map rendered as sorted "type|state_key → id" lines, for readable assertion diffs. */
export function describeState(state: ReadonlyMap<StateTupleKey, string>): string[] {
  return [...state]
    .map(([key, id]) => {
      const [type, stateKey] = splitStateTupleKey(key);
      return `${type}|${stateKey} → ${id}`;
    })
    .sort();
}

export function asJsonArray(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}
