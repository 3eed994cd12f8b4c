/**
 * State resolution over a synthetic large room: 10,000 joined members, then two forks that change 200
 * state entries between them (display names, a power levels change, kicks, a topic), resolved with
 * state res v2 (room v11) and v2.1 (room v12). Events are built before timing; each timed run
 * resolves from scratch (no memo survives between runs).
 */
import { performance } from "node:perf_hooks";
import type { JsonObject } from "../src/core/json.ts";
import type { IdentifiedPdu } from "../src/core/pdu.ts";
import { getRoomVersion, type RoomVersion } from "../src/core/room-versions.ts";
import { stateTupleKey, type StateTupleKey } from "../src/core/state-key.ts";
import { resolveState, type StateResSource } from "../src/core/state-res/index.ts";
import type { BenchResult } from "./result.ts";

const MEMBERS = 10_000;
const RUNS = 15;

interface Room {
  version: RoomVersion;
  source: StateResSource;
  forks: Array<Map<StateTupleKey, string>>;
  conflicted: number;
}

function buildRoom(versionId: string): Room {
  const version = getRoomVersion(versionId)!;
  const events = new Map<string, IdentifiedPdu>();
  const v12 = version.roomIdFromCreateEvent;
  const roomId = v12 ? "!create" : "!bench:example.org";
  const creator = "@creator:example.org";
  const moderator = "@user0:example.org";
  let ts = 0;
  const key = (e: IdentifiedPdu) => stateTupleKey(e.type, e.state_key as string);

  const send = (
    state: Map<StateTupleKey, string>,
    id: string,
    sender: string,
    type: string,
    stateKey: string,
    content: JsonObject,
    authKeys: Array<[string, string]>,
  ): IdentifiedPdu => {
    const keys = version.createEventInAuthEvents
      ? [["m.room.create", ""] as [string, string], ...authKeys]
      : authKeys;
    const auth = keys
      .map(([t, k]) => state.get(stateTupleKey(t, k)))
      .filter((x): x is string => x !== undefined);
    const event = {
      event_id: `$${id}`,
      room_id: roomId,
      sender,
      type,
      state_key: stateKey,
      content,
      origin_server_ts: ts++,
      depth: ts,
      prev_events: [],
      auth_events: auth,
    } as JsonObject as IdentifiedPdu;
    events.set(event.event_id, event);
    state.set(key(event), event.event_id);
    return event;
  };

  const base = new Map<StateTupleKey, string>();
  const create = {
    event_id: "$create",
    sender: creator,
    type: "m.room.create",
    state_key: "",
    content: { creator, room_version: versionId },
    origin_server_ts: ts++,
    depth: 1,
    prev_events: [],
    auth_events: [],
    ...(v12 ? {} : { room_id: roomId }),
  } as JsonObject as IdentifiedPdu;
  events.set(create.event_id, create);
  base.set(key(create), create.event_id);
  send(base, "creator-join", creator, "m.room.member", creator, { membership: "join" }, []);
  const plUsers: JsonObject = v12 ? { [moderator]: 50 } : { [creator]: 100, [moderator]: 50 };
  send(base, "pl0", creator, "m.room.power_levels", "", { users: plUsers }, [["m.room.member", creator]]);
  send(base, "jr", creator, "m.room.join_rules", "", { join_rule: "public" }, [
    ["m.room.power_levels", ""],
    ["m.room.member", creator],
  ]);
  const user = (i: number) => `@user${i}:example.org`;
  for (let i = 0; i < MEMBERS; i++) {
    send(
      base,
      `join${i}`,
      user(i),
      "m.room.member",
      user(i),
      { membership: "join", displayname: `user ${i}` },
      [
        ["m.room.power_levels", ""],
        ["m.room.join_rules", ""],
      ],
    );
  }

  const rename = (state: Map<StateTupleKey, string>, i: number, fork: string) =>
    send(
      state,
      `rename-${fork}-${i}`,
      user(i),
      "m.room.member",
      user(i),
      { membership: "join", displayname: `${fork} ${i}` },
      [
        ["m.room.power_levels", ""],
        ["m.room.member", user(i)],
        ["m.room.join_rules", ""],
      ],
    );

  // Fork A: the creator promotes a second moderator and sets a topic; 98 members rename.
  const a = new Map(base);
  send(a, "pl1", creator, "m.room.power_levels", "", { users: { ...plUsers, [user(1)]: 50 } }, [
    ["m.room.power_levels", ""],
    ["m.room.member", creator],
  ]);
  send(a, "topic", creator, "m.room.topic", "", { topic: "fork a" }, [
    ["m.room.power_levels", ""],
    ["m.room.member", creator],
  ]);
  for (let i = 10; i < 108; i++) rename(a, i, "a");

  // Fork B: the moderator kicks two members; 98 other members rename.
  const b = new Map(base);
  for (const i of [2, 3]) {
    send(b, `kick${i}`, moderator, "m.room.member", user(i), { membership: "leave" }, [
      ["m.room.power_levels", ""],
      ["m.room.member", moderator],
      ["m.room.member", user(i)],
    ]);
  }
  for (let i = 200; i < 298; i++) rename(b, i, "b");

  let conflicted = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) if (a.get(k) !== b.get(k)) conflicted++;
  return { version, source: { getEvent: (id) => events.get(id) }, forks: [a, b], conflicted };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchStateRes(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const versionId of ["11", "12"]) {
    const room = buildRoom(versionId);
    const cold = performance.now();
    const resolved = resolveState(room.version, room.forks, room.source);
    const coldMs = performance.now() - cold;
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      resolveState(room.version, room.forks, room.source);
      times.push(performance.now() - start);
    }
    times.sort((x, y) => x - y);
    results.push({
      name: `state-res ${room.version.stateRes} (room v${versionId}): ${MEMBERS} members, ${room.conflicted} conflicted keys, median`,
      value: percentile(times, 50),
      unit: "ms",
      extra: {
        first_run_ms: coldMs,
        p95_ms: percentile(times, 95),
        runs: RUNS,
        resolved_keys: resolved.size,
      },
    });
  }
  return results;
}

// Run directly: `npx tsx bench/state-res.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchStateRes()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`, r.extra);
}
