import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import {
  authDifference,
  conflictedStateSubgraph,
  fullAuthChain,
} from "../../src/core/state-res/auth-chain.ts";
import { EventGraph, MissingEventError } from "../../src/core/state-res/event-graph.ts";
import { iterativeAuthChecks } from "../../src/core/state-res/iterative-auth.ts";
import { MainlinePositions, mainlineOf, mainlineSort } from "../../src/core/state-res/mainline.ts";
import {
  compareCodePoints,
  comparePowerOrder,
  lexicographicalTopologicalSort,
  type PowerOrderKey,
} from "../../src/core/state-res/ordering.ts";
import { senderPowerLevel } from "../../src/core/state-res/sender-power.ts";
import {
  fullConflictedSet,
  separateStateSets,
  sortByReverseTopologicalPower,
} from "../../src/core/state-res/v2.ts";
import { isPowerEvent } from "../../src/core/state-res/v2.ts";
import { graphEvent, MemorySource, readFixture, roomVersion, toPdu } from "./state-res-support.ts";

interface GmslFixture {
  tie_break: {
    input: Array<{ event_id: string; power_level: number; origin_server_ts: number }>;
    expected: string[];
  };
  reverse_topological: { room_version: string; events: JsonObject[]; expected: string[] };
  auth_graph: { graph: Record<string, string[]> };
  full_auth_chain: Array<{ name: string; start: string[]; auth_chain: string[] }>;
  conflicted_subgraph: Array<{
    name: string;
    start: string[];
    conflicted: string[];
    auth_chain: string[];
    subgraph: string[];
  }>;
}

const gmsl = readFixture<GmslFixture>("gomatrixserverlib-state-res-v2.json");
// Graph-only vectors: room v11 has no implicit create edge, so the graph is exactly as written.
const v11 = roomVersion("11");
const v12 = roomVersion("12");

function gmslGraph(): EventGraph {
  const source = new MemorySource(
    Object.entries(gmsl.auth_graph.graph).map(([id, auth]) => graphEvent(id, auth)),
  );
  return new EventGraph(v11, source);
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

describe("auth chains (gomatrixserverlib stateresolutionv2_test.go)", () => {
  for (const tc of gmsl.full_auth_chain) {
    it(`full auth chain: ${tc.name}`, () => {
      expect(sorted(fullAuthChain(gmslGraph(), tc.start))).toEqual(sorted(tc.auth_chain));
    });
  }
  for (const tc of gmsl.conflicted_subgraph) {
    it(`full auth chain and v2.1 conflicted subgraph: ${tc.name}`, () => {
      const graph = gmslGraph();
      expect(sorted(fullAuthChain(graph, tc.start))).toEqual(sorted(tc.auth_chain));
      expect(sorted(conflictedStateSubgraph(graph, new Set(tc.conflicted)))).toEqual(sorted(tc.subgraph));
    });
  }

  it("the subgraph of unrelated or single conflicted events is empty", () => {
    const graph = gmslGraph();
    expect(sorted(conflictedStateSubgraph(graph, new Set(["D2", "E2"])))).toEqual([]);
    expect(sorted(conflictedStateSubgraph(graph, new Set(["G"])))).toEqual([]);
    expect(sorted(conflictedStateSubgraph(graph, new Set(["G", "A"])))).toEqual(
      sorted(Object.keys(gmsl.auth_graph.graph)),
    );
  });

  it("treats the v12 create event as an implicit auth event of every other event", () => {
    const create = toPdu({ event_id: "$create", type: "m.room.create", state_key: "", sender: "@a:x" });
    const a = toPdu({ event_id: "$a", room_id: "!create", type: "t", state_key: "", sender: "@a:x" });
    const b = toPdu({
      event_id: "$b",
      room_id: "!create",
      type: "t",
      state_key: "b",
      sender: "@a:x",
      auth_events: ["$a"],
    });
    const source = new MemorySource([create, a, b]);
    const graph = new EventGraph(v12, source);
    expect(sorted(fullAuthChain(graph, ["$b"]))).toEqual(["$a", "$create"]);
    expect(graph.authEvents("$create")).toEqual([]);
    // With the create event conflicted, every path down to it is in the subgraph.
    expect(sorted(conflictedStateSubgraph(graph, new Set(["$b", "$create"])))).toEqual([
      "$a",
      "$b",
      "$create",
    ]);
    // The same events in a v11 room have no such edge.
    expect(sorted(fullAuthChain(new EventGraph(v11, source), ["$b"]))).toEqual(["$a"]);
  });

  it("throws a clear error when an auth event is missing", () => {
    const graph = new EventGraph(v11, new MemorySource([graphEvent("B", ["A"])]));
    expect(() => fullAuthChain(graph, ["B"])).toThrow(MissingEventError);
    expect(() => fullAuthChain(graph, ["B"])).toThrow(/needs event A/);
  });
});

describe("auth difference (synapse tests/state/test_v2.py AuthChainDifferenceTestCase)", () => {
  // Synapse's test store counts each state event in its own set's chain; the spec's auth chain of an
  // event is only what it (transitively) cites. The auth differences below are the spec's; the full
  // conflicted set, which is what the algorithm uses, agrees with Synapse's in all three cases.
  const cases = [
    {
      name: "simple: C -> B -> A",
      graph: { A: [], B: ["A"], C: ["B"] },
      sets: [{ a: "A", b: "B" }, { c: "C" }],
      difference: ["B"],
      synapseDifference: ["C"],
    },
    {
      name: "multiple unpersisted chain: D -> C -> B -> A",
      graph: { A: [], B: ["A"], C: ["B"], D: ["C"] },
      sets: [
        { a: "A", b: "B" },
        { c: "C", d: "D" },
      ],
      difference: ["B", "C"],
      synapseDifference: ["C", "D"],
    },
    {
      name: "unpersisted events in different sets",
      graph: { A: [], B: ["A"], C: ["B"], D: ["C"], E: ["C", "B"] },
      sets: [
        { a: "A", b: "B", e: "E" },
        { c: "C", d: "D" },
      ],
      difference: [],
      synapseDifference: ["D", "E"],
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const source = new MemorySource(Object.entries(tc.graph).map(([id, auth]) => graphEvent(id, auth)));
      const graph = new EventGraph(v11, source);
      const sets = tc.sets.map(
        (s) => new Map(Object.entries(s).map(([k, id]) => [stateTupleKey(k, ""), id])),
      );
      expect(sorted(authDifference(graph, sets))).toEqual(tc.difference);
      const { unconflicted, conflicted } = separateStateSets(sets);
      const synapseFull = new Set([
        ...[...conflicted.values()].flatMap((ids) => [...ids]),
        ...tc.synapseDifference,
      ]);
      expect(sorted(fullConflictedSet(graph, sets, unconflicted, conflicted))).toEqual(sorted(synapseFull));
    });
  }

  it("an event every set shares is never in the difference, however deep", () => {
    const ids = Array.from({ length: 50 }, (_, i) => `E${i}`);
    const source = new MemorySource(ids.map((id, i) => graphEvent(id, i === 0 ? [] : [ids[i - 1]!])));
    source.add(graphEvent("X", ["E10"]));
    source.add(graphEvent("Y", ["E40"]));
    const graph = new EventGraph(v11, source);
    const shared = stateTupleKey("s", "");
    const sets = [
      new Map([
        [shared, "E20"],
        [stateTupleKey("k", ""), "X"],
      ]),
      new Map([
        [shared, "E20"],
        [stateTupleKey("k", ""), "Y"],
      ]),
    ];
    // E0..E19 are under the shared E20; X cites E10; Y adds E20..E40 of which only E21..E40 differ.
    expect(sorted(authDifference(graph, sets))).toEqual(sorted(ids.slice(20, 41)));
  });
});

describe("orderings", () => {
  it("tie-break: higher power first, then older, then smaller id (gomatrixserverlib TestLexicographicalSorting)", () => {
    const keys: PowerOrderKey[] = gmsl.tie_break.input.map((e) => ({
      eventId: e.event_id,
      senderPowerLevel: e.power_level,
      originServerTs: e.origin_server_ts,
    }));
    expect(keys.sort(comparePowerOrder).map((k) => k.eventId)).toEqual(gmsl.tie_break.expected);
  });

  it("tie-break with infinite (v12 creator) power levels", () => {
    const keys: PowerOrderKey[] = [
      { eventId: "$b", senderPowerLevel: Infinity, originServerTs: 5 },
      { eventId: "$a", senderPowerLevel: 100, originServerTs: 1 },
      { eventId: "$c", senderPowerLevel: Infinity, originServerTs: 5 },
      { eventId: "$d", senderPowerLevel: Infinity, originServerTs: 2 },
    ];
    expect(keys.sort(comparePowerOrder).map((k) => k.eventId)).toEqual(["$d", "$b", "$c", "$a"]);
  });

  it("lexicographical topological sort (synapse LexicographicalTestCase)", () => {
    const { graph, expected } = readFixture<{
      lexicographical_sort: { graph: Record<string, string[]>; expected: string[] };
    }>("synapse-test-v2.json").lexicographical_sort;
    expect(
      lexicographicalTopologicalSort(Object.keys(graph), (n) => graph[n] ?? [], compareCodePoints),
    ).toEqual(expected);
  });

  it("topological sort rejects a cycle", () => {
    const graph: Record<string, string[]> = { a: ["b"], b: ["a"], c: [] };
    expect(() =>
      lexicographicalTopologicalSort(Object.keys(graph), (n) => graph[n] ?? [], compareCodePoints),
    ).toThrow(/cycle/);
  });

  it("reverse topological power ordering of the base graph (gomatrixserverlib TestReverseTopologicalEventSorting)", () => {
    const { room_version, events, expected } = gmsl.reverse_topological;
    const source = new MemorySource(events.map(toPdu));
    const graph = new EventGraph(roomVersion(room_version), source);
    expect(sortByReverseTopologicalPower(graph, new Set(source.events.keys()))).toEqual(expected);
  });

  it("compares event ids by code point, not UTF-16 unit", () => {
    expect(compareCodePoints("$a", "$b")).toBe(-1);
    expect(compareCodePoints("$ab", "$a")).toBe(1);
    expect(compareCodePoints("x", "x")).toBe(0);
    // U+1F600 (surrogate pair D83D DE00) is above U+FF5E, although D83D < FF5E as code units.
    expect(compareCodePoints("\u{1F600}", "\uFF5E")).toBe(1);
    expect(compareCodePoints("\uFF5E", "\u{1F600}")).toBe(-1);
    expect(compareCodePoints("\u{1F600}", "\u{1F601}")).toBe(-1);
  });
});

describe("sender power level for the ordering", () => {
  const alice = "@alice:example.com";
  const bob = "@bob:example.com";

  function room(version: string) {
    const v = roomVersion(version);
    const createInAuth = v.createEventInAuthEvents;
    const roomId = v.roomIdFromCreateEvent ? "!create" : "!r:example.com";
    const base = (raw: JsonObject) => toPdu({ room_id: roomId, ...raw });
    const create = toPdu({
      event_id: "$create",
      type: "m.room.create",
      state_key: "",
      sender: alice,
      content: { creator: alice, room_version: version },
      ...(v.roomIdFromCreateEvent ? {} : { room_id: roomId }),
    });
    const withCreate = (ids: string[]) => (createInAuth ? ["$create", ...ids] : ids);
    const join = base({
      event_id: "$join",
      type: "m.room.member",
      state_key: alice,
      sender: alice,
      content: { membership: "join" },
      auth_events: withCreate([]),
    });
    const pl = base({
      event_id: "$pl",
      type: "m.room.power_levels",
      state_key: "",
      sender: alice,
      content: { users: { [bob]: 50 }, users_default: 10 },
      auth_events: withCreate(["$join"]),
    });
    const topic = (id: string, sender: string, auth: string[]) =>
      base({ event_id: id, type: "m.room.topic", state_key: "", sender, auth_events: withCreate(auth) });
    const source = new MemorySource([
      create,
      join,
      pl,
      topic("$alice-pl", alice, ["$join", "$pl"]),
      topic("$bob-pl", bob, ["$pl"]),
      topic("$carol-pl", "@carol:example.com", ["$pl"]),
      topic("$alice-nopl", alice, ["$join"]),
      topic("$bob-nopl", bob, []),
    ]);
    return new EventGraph(v, source, "$create");
  }

  it("reads the PL event among the event's own auth events (v10, v11; synapse test_get_power_level_for_sender)", () => {
    for (const version of ["10", "11"]) {
      const graph = room(version);
      // Alice is not in `users`, so users_default applies even to the creator once a PL event exists.
      expect(senderPowerLevel(graph, "$alice-pl")).toBe(10);
      expect(senderPowerLevel(graph, "$bob-pl")).toBe(50);
      expect(senderPowerLevel(graph, "$carol-pl")).toBe(10);
      expect(senderPowerLevel(graph, "$alice-nopl")).toBe(100);
      expect(senderPowerLevel(graph, "$bob-nopl")).toBe(0);
      expect(senderPowerLevel(graph, "$create")).toBe(0);
    }
  });

  it("gives v12 creators infinite power, with or without a PL event", () => {
    const graph = room("12");
    expect(senderPowerLevel(graph, "$alice-pl")).toBe(Infinity);
    expect(senderPowerLevel(graph, "$alice-nopl")).toBe(Infinity);
    expect(senderPowerLevel(graph, "$bob-pl")).toBe(50);
    expect(senderPowerLevel(graph, "$bob-nopl")).toBe(0);
  });
});

describe("mainline ordering", () => {
  // P0 <- P1 <- P2 (the resolved PL), Q forks from P0; events hang off each.
  function build() {
    const ev = (id: string, type: string, auth: string[], ts: number) =>
      toPdu({
        event_id: id,
        type,
        state_key: type === "m.room.power_levels" ? "" : id,
        sender: "@a:x",
        auth_events: auth,
        origin_server_ts: ts,
      });
    const source = new MemorySource([
      ev("$P0", "m.room.power_levels", [], 1),
      ev("$P1", "m.room.power_levels", ["$P0"], 2),
      ev("$P2", "m.room.power_levels", ["$P1"], 3),
      ev("$Q", "m.room.power_levels", ["$P0"], 4),
      ev("$R", "m.room.power_levels", ["$Q"], 5),
      ev("$t-p2", "m.room.topic", ["$P2"], 10),
      ev("$t-p1", "m.room.topic", ["$P1"], 11),
      ev("$t-p0", "m.room.topic", ["$P0"], 12),
      ev("$t-r", "m.room.topic", ["$R"], 13),
      ev("$t-none", "m.room.topic", [], 14),
      ev("$t-p1b", "m.room.topic", ["$P1"], 11),
    ]);
    return new EventGraph(v11, source);
  }

  it("computes the mainline and positions", () => {
    const graph = build();
    const mainline = mainlineOf(graph, "$P2");
    expect([...mainline]).toEqual([
      ["$P2", 0],
      ["$P1", 1],
      ["$P0", 2],
    ]);
    const positions = new MainlinePositions(graph, mainline);
    expect(positions.position("$t-p2")).toBe(0);
    expect(positions.position("$t-p1")).toBe(1);
    expect(positions.position("$t-r")).toBe(2); // R -> Q -> P0
    expect(positions.position("$t-none")).toBe(Infinity);
    // The event itself is not part of its own list: P2's position comes from P1.
    expect(positions.position("$P2")).toBe(1);
  });

  it("sorts older mainline positions first, then by ts, then by id", () => {
    const graph = build();
    const ids = ["$t-p2", "$t-p1b", "$t-none", "$t-r", "$t-p1", "$t-p0"];
    expect(mainlineSort(graph, ids, "$P2")).toEqual(["$t-none", "$t-p0", "$t-r", "$t-p1", "$t-p1b", "$t-p2"]);
    // With no resolved PL event, everything is at infinity and only ts and id order.
    expect(mainlineSort(graph, ids, undefined)).toEqual([
      "$t-p2",
      "$t-p1",
      "$t-p1b",
      "$t-p0",
      "$t-r",
      "$t-none",
    ]);
  });
});

describe("iterative auth checks and rejected events", () => {
  const alice = "@alice:example.com";
  const bob = "@bob:example.com";
  const v10 = roomVersion("10");
  const ev = (
    id: string,
    sender: string,
    type: string,
    stateKey: string,
    content: JsonObject,
    auth: string[],
  ) =>
    toPdu({
      event_id: id,
      room_id: "!r:example.com",
      sender,
      type,
      state_key: stateKey,
      content,
      auth_events: auth,
    });
  function build() {
    const source = new MemorySource([
      ev("$create", alice, "m.room.create", "", { creator: alice, room_version: "10" }, []),
      ev("$alice", alice, "m.room.member", alice, { membership: "join" }, ["$create"]),
      ev("$pl", alice, "m.room.power_levels", "", { users: { [alice]: 100 }, state_default: 0 }, [
        "$create",
        "$alice",
      ]),
      ev("$jr", alice, "m.room.join_rules", "", { join_rule: "public" }, ["$create", "$alice", "$pl"]),
      ev("$bob", bob, "m.room.member", bob, { membership: "join" }, ["$create", "$pl", "$jr"]),
      ev("$topic", bob, "m.room.topic", "", { topic: "hi" }, ["$create", "$pl", "$bob"]),
    ]);
    return { source, graph: new EventGraph(v10, source) };
  }
  const topicKey = stateTupleKey("m.room.topic", "");

  it("takes a key the state lacks from the event's own auth events", () => {
    const { source, graph } = build();
    const state = source.stateOf(["$create", "$alice", "$pl", "$jr"]);
    expect(iterativeAuthChecks(graph, ["$topic"], state).get(topicKey)).toBe("$topic");
  });

  it("never authorises with a rejected event, from the state or from auth_events", () => {
    const { source, graph } = build();
    source.rejected.add("$bob");
    const withBob = source.stateOf(["$create", "$alice", "$pl", "$jr", "$bob"]);
    expect(iterativeAuthChecks(graph, ["$topic"], withBob).has(topicKey)).toBe(false);
    const withoutBob = source.stateOf(["$create", "$alice", "$pl", "$jr"]);
    expect(iterativeAuthChecks(graph, ["$topic"], withoutBob).has(topicKey)).toBe(false);
  });

  it("re-checks an event that was itself rejected on receipt like any other", () => {
    const { source, graph } = build();
    source.rejected.add("$topic");
    const state = source.stateOf(["$create", "$alice", "$pl", "$jr", "$bob"]);
    expect(iterativeAuthChecks(graph, ["$topic"], state).get(topicKey)).toBe("$topic");
  });

  it("writes only the changes and reads through to the base state", () => {
    const { source, graph } = build();
    const base = source.stateOf(["$create", "$alice", "$pl", "$jr", "$bob"]);
    const changes = iterativeAuthChecks(graph, ["$topic"], base);
    expect([...changes.keys()]).toEqual([topicKey]);
    expect(base.has(topicKey)).toBe(false);
  });
});

describe("power events", () => {
  const ev = (type: string, stateKey: string, sender = "@a:x", content: JsonObject = {}) =>
    ({ event_id: "$e", type, state_key: stateKey, sender, content }) as unknown as Parameters<
      typeof isPowerEvent
    >[0];

  it("are PL, join rules and create with an empty state key, as Synapse and ruma count them", () => {
    expect(isPowerEvent(ev("m.room.power_levels", ""))).toBe(true);
    expect(isPowerEvent(ev("m.room.join_rules", ""))).toBe(true);
    expect(isPowerEvent(ev("m.room.create", ""))).toBe(true);
    expect(isPowerEvent(ev("m.room.power_levels", "x"))).toBe(false);
    expect(isPowerEvent(ev("m.room.join_rules", "x"))).toBe(false);
  });

  it("include kicks and bans by others, not own leaves or joins", () => {
    expect(isPowerEvent(ev("m.room.member", "@b:x", "@a:x", { membership: "leave" }))).toBe(true);
    expect(isPowerEvent(ev("m.room.member", "@b:x", "@a:x", { membership: "ban" }))).toBe(true);
    expect(isPowerEvent(ev("m.room.member", "@a:x", "@a:x", { membership: "leave" }))).toBe(false);
    expect(isPowerEvent(ev("m.room.member", "@b:x", "@a:x", { membership: "join" }))).toBe(false);
    expect(isPowerEvent(ev("m.room.topic", ""))).toBe(false);
  });
});
