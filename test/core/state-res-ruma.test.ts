/**
 * ruma-state-res's resolution fixtures with their expected snapshots (ruma/ruma
 * crates/ruma-state-res/tests/it/resolve/, transcribed into fixtures/state-res/ruma/). The pairing of
 * fixtures to snapshots mirrors ruma's `resolve.rs`, and batches are resolved the three ways ruma's
 * `macros.rs` does: PDU by PDU along prev_events, batch by batch, and all at once. All three must agree
 * with the snapshot.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.ts";
import { prevEventIds, type IdentifiedPdu } from "../../src/core/pdu.ts";
import type { RoomVersion } from "../../src/core/room-versions.ts";
import { stateTupleKey, type StateMap, type StateTupleKey } from "../../src/core/state-key.ts";
import { resolveState } from "../../src/core/state-res/index.ts";
import { compareCodePoints, lexicographicalTopologicalSort } from "../../src/core/state-res/ordering.ts";
import {
  describeState,
  fixturePath,
  MemorySource,
  readFixture,
  roomVersion,
  toPdu,
} from "./state-res-support.ts";

type State = Map<StateTupleKey, string>;

function loadBatches(paths: string[]): { version: RoomVersion; batches: IdentifiedPdu[][] } {
  const batches = paths.map((p) => readFixture<JsonObject[]>(`ruma/${p}`).map(toPdu));
  const create = batches[0]![0]!;
  expect(create.type).toBe("m.room.create");
  return { version: roomVersion(String(create.content.room_version)), batches };
}

/** The expected state: the JSON array after the insta header. */
function loadSnapshot(name: string): State {
  const text = readFileSync(fixturePath(`ruma/snapshots/${name}@resolved_state.snap`), "utf8");
  const body = text.slice(text.indexOf("\n---\n") + 5);
  const entries = JSON.parse(body) as Array<{ type: string; state_key: string; event_id: string }>;
  return new Map(entries.map((e) => [stateTupleKey(e.type, e.state_key), e.event_id]));
}

function singleton(pdu: IdentifiedPdu): State {
  return new Map([[stateTupleKey(pdu.type, pdu.state_key as string), pdu.event_id]]);
}

/** Each PDU resolved against the state before it, as a server receiving them one at a time would. */
function resolveIteratively(version: RoomVersion, pdus: IdentifiedPdu[], source: MemorySource): State {
  const byId = new Map(pdus.map((p) => [p.event_id, p]));
  const order = lexicographicalTopologicalSort(
    byId.keys(),
    (id) => prevEventIds(byId.get(id)!).filter((p) => byId.has(p)),
    compareCodePoints,
  );
  const stateAfter = new Map<string, State>();
  const referenced = new Set<string>();
  for (const id of order) {
    const pdu = byId.get(id)!;
    const prevs = prevEventIds(pdu);
    prevs.forEach((p) => referenced.add(p));
    const before = resolveState(
      version,
      prevs.map((p) => stateAfter.get(p)!),
      source,
    );
    const proposed = new Map(before);
    proposed.set(stateTupleKey(pdu.type, pdu.state_key as string), id);
    stateAfter.set(id, resolveState(version, [before, proposed], source));
  }
  const leaves = order.filter((id) => !referenced.has(id));
  return resolveState(
    version,
    leaves.map((id) => stateAfter.get(id)!),
    source,
  );
}

function resolveBatches(version: RoomVersion, batches: IdentifiedPdu[][], source: MemorySource): State {
  let state: State | undefined;
  for (const batch of batches) {
    const sets: StateMap[] = [...(state === undefined ? [] : [state]), ...batch.map(singleton)];
    state = resolveState(version, sets, source);
  }
  return state!;
}

const BATCH_TESTS: Array<[name: string, files: string[]]> = [
  ["minimal_private_chat", ["bootstrap-private-chat.json"]],
  ["minimal_public_chat", ["bootstrap-public-chat.json"]],
  ["origin_server_ts_tiebreak", ["bootstrap-private-chat.json", "origin-server-ts-tiebreak.json"]],
  [
    "ban_vs_power_levels",
    ["bootstrap-public-chat.json", "ban-vs-power-levels-alice.json", "ban-vs-power-levels-bob.json"],
  ],
  [
    "topic_vs_power_levels",
    ["bootstrap-public-chat.json", "topic-vs-power-levels-alice.json", "topic-vs-power-levels-bob.json"],
  ],
  [
    "power_levels_admin_vs_mod",
    [
      "bootstrap-public-chat.json",
      "power-levels-admin-vs-mod-alice.json",
      "power-levels-admin-vs-mod-bob.json",
    ],
  ],
  [
    "topic_vs_ban",
    [
      "bootstrap-public-chat.json",
      "topic-vs-ban-common.json",
      "topic-vs-ban-alice.json",
      "topic-vs-ban-bob.json",
    ],
  ],
  [
    "join_rules_vs_join",
    [
      "bootstrap-public-chat.json",
      "join-rules-vs-join-common.json",
      "join-rules-vs-join-alice.json",
      "join-rules-vs-join-ella.json",
    ],
  ],
  [
    "concurrent_joins",
    ["bootstrap-public-chat.json", "concurrent-joins-charlie.json", "concurrent-joins-ella.json"],
  ],
];

describe("ruma state-res fixtures, resolved iteratively, by batch and atomically", () => {
  for (const [name, files] of BATCH_TESTS) {
    it(name, () => {
      const { version, batches } = loadBatches(files);
      const all = batches.flat();
      const source = new MemorySource(all);
      const expected = describeState(loadSnapshot(name));
      expect(describeState(resolveIteratively(version, all, source)), "iterative").toEqual(expected);
      expect(describeState(resolveBatches(version, batches, source)), "batched").toEqual(expected);
      expect(describeState(resolveState(version, all.map(singleton), source)), "atomic").toEqual(expected);
    });
  }
});

describe("ruma MSC4297 fixtures: state res v2.0 (room v11) against v2.1 (room v12)", () => {
  const cases: Array<[name: string, dir: string, sets: string[], pdus: string]> = [
    [
      "msc4297_problem_a_state_res_v2_0",
      "MSC4297-problem-A",
      ["state-bob.json", "state-charlie.json"],
      "pdus-v11.json",
    ],
    [
      "msc4297_problem_a_state_res_v2_1",
      "MSC4297-problem-A",
      ["state-bob.json", "state-charlie.json"],
      "pdus-v12.json",
    ],
    [
      "msc4297_problem_b_state_res_v2_0",
      "MSC4297-problem-B",
      ["state-eve.json", "state-zara.json"],
      "pdus-v11.json",
    ],
    [
      "msc4297_problem_b_state_res_v2_1",
      "MSC4297-problem-B",
      ["state-eve.json", "state-zara.json"],
      "pdus-v12.json",
    ],
  ];
  const results = new Map<string, State>();
  for (const [name, dir, setFiles, pdusFile] of cases) {
    it(name, () => {
      const { version, batches } = loadBatches([`${dir}/${pdusFile}`]);
      const source = new MemorySource(batches.flat());
      const sets = setFiles.map((f) => source.stateOf(readFixture<string[]>(`ruma/${dir}/${f}`)));
      const resolved = resolveState(version, sets, source);
      expect(describeState(resolved)).toEqual(describeState(loadSnapshot(name)));
      expect(describeState(resolveState(version, [...sets].reverse(), source))).toEqual(
        describeState(resolved),
      );
      results.set(name, resolved);
    });
  }

  it("problem A: v2.0 loses the join rules, v2.1 keeps the invite-only ones", () => {
    const joinRules = stateTupleKey("m.room.join_rules", "");
    expect(results.get("msc4297_problem_a_state_res_v2_0")?.has(joinRules)).toBe(false);
    expect(results.get("msc4297_problem_a_state_res_v2_1")?.get(joinRules)).toBe("$01-m-room-join_rules");
  });

  it("problem B: v2.0 resets the power levels to $00, v2.1 keeps $02", () => {
    const pl = stateTupleKey("m.room.power_levels", "");
    expect(results.get("msc4297_problem_b_state_res_v2_0")?.get(pl)).toBe("$00-m-room-power_levels");
    expect(results.get("msc4297_problem_b_state_res_v2_1")?.get(pl)).toBe("$02-m-room-power_levels");
  });
});
