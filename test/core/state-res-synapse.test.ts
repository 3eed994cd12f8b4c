/**
 * Synapse's state resolution scenarios (tests/state/test_v2.py, test_v21.py), replayed from the
 * transcribed JSON in fixtures/state-res/. The v2 harness rebuilds each graph as Synapse's `do_check`
 * does: events in lexicographic topological order of their prev edges, origin_server_ts from a counter
 * in that order, auth events picked from the state before each event, and state resolution wherever an
 * event has several prev events.
 */
import { describe, expect, it } from "vitest";
import { authTypesForEvent } from "../../src/core/auth-rules.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { stateTupleKey, type StateTupleKey } from "../../src/core/state-key.ts";
import { resolveState } from "../../src/core/state-res/index.ts";
import { compareCodePoints, lexicographicalTopologicalSort } from "../../src/core/state-res/ordering.ts";
import { describeState, MemorySource, readFixture, roomVersion, toPdu } from "./state-res-support.ts";

interface FakeEvent {
  id: string;
  sender: string;
  type: string;
  state_key: string | null;
  content: JsonObject;
}

interface V2Fixture {
  room_version: string;
  initial_events: FakeEvent[];
  initial_edges: string[];
  cases: Array<{ name: string; events: FakeEvent[]; edges: string[][]; expected_state_ids: string[] }>;
  simple_param_state: {
    events: Array<FakeEvent & { auth_events: string[]; prev_events: string[] }>;
    state_sets: string[][];
    expected: string[];
  };
}

interface V21Fixture {
  room_version: string;
  cases: Array<{
    name: string;
    events: Array<FakeEvent & { auth_events: string[]; prev_events: string[]; origin_server_ts: number }>;
    state_sets: string[][];
    expected: string[];
  }>;
}

const v2 = readFixture<V2Fixture>("synapse-test-v2.json");
const v21 = readFixture<V21Fixture>("synapse-test-v21.json");
const ROOM_ID = "!test:example.com";
const eventId = (node: string): string => `$${node}:example.com`;

function pairwise<T>(list: readonly T[]): Array<[T, T]> {
  return list.slice(1).map((b, i) => [list[i]!, b]);
}

/** Synapse's `do_check`: the state at END, restricted to keys expected or changed since START. */
function doCheck(versionId: string, events: FakeEvent[], edges: string[][]): Map<StateTupleKey, string> {
  const version = roomVersion(versionId);
  // Synapse's harness selects auth events with room v6 rules; for these events they are v2's too.
  const selectionVersion = roomVersion("6");
  const fakes = new Map<string, FakeEvent>();
  const prevs = new Map<string, Set<string>>();
  for (const ev of [...v2.initial_events, ...events]) {
    fakes.set(ev.id, ev);
    prevs.set(ev.id, new Set());
  }
  for (const chain of [v2.initial_edges, ...edges]) {
    for (const [a, b] of pairwise(chain)) prevs.get(a)!.add(b);
  }
  const source = new MemorySource();
  const stateAt = new Map<string, Map<StateTupleKey, string>>();
  let ts = 0;
  const order = lexicographicalTopologicalSort(prevs.keys(), (n) => prevs.get(n)!, compareCodePoints);
  for (const node of order) {
    const fake = fakes.get(node)!;
    const prevNodes = [...prevs.get(node)!];
    let before: Map<StateTupleKey, string>;
    if (prevNodes.length === 0) before = new Map();
    else if (prevNodes.length === 1) before = new Map(stateAt.get(prevNodes[0]!)!);
    else
      before = resolveState(
        version,
        prevNodes.map((p) => stateAt.get(p)!),
        source,
      );

    const stateKey = fake.state_key ?? undefined;
    const authIds = authTypesForEvent(selectionVersion, { ...fake, state_key: stateKey })
      .map(([type, key]) => before.get(stateTupleKey(type, key)))
      .filter((id): id is string => id !== undefined);
    const pdu = toPdu({
      event_id: eventId(node),
      room_id: ROOM_ID,
      sender: fake.sender,
      type: fake.type,
      content: fake.content,
      origin_server_ts: ts++,
      // Room v1/v2 reference format: [event_id, hashes].
      auth_events: authIds.map((id) => [id, {}]),
      prev_events: prevNodes.map((p) => [eventId(p), {}]),
      ...(stateKey === undefined ? {} : { state_key: stateKey }),
    });
    source.add(pdu);
    const after = new Map(before);
    if (stateKey !== undefined) after.set(stateTupleKey(fake.type, stateKey), pdu.event_id);
    stateAt.set(node, after);
  }
  const start = stateAt.get("START")!;
  const end = stateAt.get("END")!;
  return new Map([...end].filter(([key, id]) => start.get(key) !== id));
}

describe("synapse test_v2.py StateTestCase (state res v2, room v2)", () => {
  for (const tc of v2.cases) {
    it(tc.name, () => {
      const fakes = new Map([...v2.initial_events, ...tc.events].map((e) => [e.id, e]));
      const expected = new Map(
        tc.expected_state_ids.map((node) => {
          const fake = fakes.get(node)!;
          return [stateTupleKey(fake.type, fake.state_key!), eventId(node)];
        }),
      );
      const changed = doCheck(v2.room_version, tc.events, tc.edges);
      // Synapse also keeps expected keys that did not change since START; none of these cases has one.
      expect(describeState(changed)).toEqual(describeState(expected));
    });
  }

  it("SimpleParamStateTestCase: concurrent joins both land", () => {
    const { events, state_sets, expected } = v2.simple_param_state;
    const source = new MemorySource(
      events.map((e, i) =>
        toPdu({
          ...e,
          event_id: eventId(e.id),
          room_id: ROOM_ID,
          origin_server_ts: i,
          auth_events: e.auth_events.map(eventId),
          prev_events: e.prev_events.map(eventId),
        }),
      ),
    );
    const sets = state_sets.map((ids) => source.stateOf(ids.map(eventId)));
    const resolved = resolveState(roomVersion(v2.room_version), sets, source);
    expect(describeState(resolved)).toEqual(describeState(source.stateOf(expected.map(eventId))));
  });
});

describe("synapse test_v21.py StateResV21TestCase (state res v2.1, room v12)", () => {
  for (const tc of v21.cases) {
    const build = () => {
      const createId = `$${tc.events[0]!.id}`;
      const roomId = `!${tc.events[0]!.id}`;
      const source = new MemorySource(
        tc.events.map((e) =>
          toPdu({
            ...e,
            event_id: `$${e.id}`,
            ...(e.id === tc.events[0]!.id ? {} : { room_id: roomId }),
            auth_events: e.auth_events.map((id) => `$${id}`),
            prev_events: e.prev_events.map((id) => `$${id}`),
            depth: 5,
          }),
        ),
      );
      expect(createId).toBe("$e1_create");
      const sets = tc.state_sets.map((ids) => source.stateOf(ids.map((id) => `$${id}`)));
      const expected = source.stateOf(tc.expected.map((id) => `$${id}`));
      return { source, sets, expected };
    };

    it(`${tc.name} (v2.1 gives the expected state)`, () => {
      const { source, sets, expected } = build();
      expect(describeState(resolveState(roomVersion(v21.room_version), sets, source))).toEqual(
        describeState(expected),
      );
    });

    it(`${tc.name} (the v2.1 answer does not depend on the order of the state sets)`, () => {
      const { source, sets, expected } = build();
      const reversed = [...sets].reverse();
      expect(describeState(resolveState(roomVersion(v21.room_version), reversed, source))).toEqual(
        describeState(expected),
      );
    });
  }

  it("state_reset_start_empty_set: v2 rules on the same events reset the join rules (the bug v2.1 fixes)", () => {
    // Replay the v12 events under a v2 algorithm by keeping v12's event rules but the old state res.
    const tc = v21.cases.find((c) => c.name === "state_reset_start_empty_set")!;
    const source = new MemorySource(
      tc.events.map((e) =>
        toPdu({
          ...e,
          event_id: `$${e.id}`,
          ...(e.id === "e1_create" ? {} : { room_id: "!e1_create" }),
          auth_events: e.auth_events.map((id) => `$${id}`),
        }),
      ),
    );
    const v12AsV2 = { ...roomVersion("12"), stateRes: "v2" as const };
    const sets = tc.state_sets.map((ids) => source.stateOf(ids.map((id) => `$${id}`)));
    const resolved = resolveState(v12AsV2, sets, source);
    expect(resolved.has(stateTupleKey("m.room.join_rules", ""))).toBe(false);
  });
});
