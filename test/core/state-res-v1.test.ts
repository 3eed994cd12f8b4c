/**
 * Room version 1 state resolution, from the spec's description (rooms/v1.md, "State resolution"):
 * R starts as the union without conflicting events; conflicted power levels, then join rules, then
 * members are resolved by walking them in ascending depth / descending sha1(event_id) order while the
 * auth rules allow each in R; any other conflict takes the highest depth / lowest sha1(event_id) event
 * that passes auth in R.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import { resolveState } from "../../src/core/state-res/index.ts";
import { sortByDepthAndHash } from "../../src/core/state-res/v1.ts";
import { describeState, MemorySource, roomVersion, toPdu } from "./state-res-support.ts";

const v1 = roomVersion("1");
const ALICE = "@alice:example.com";
const BOB = "@bob:example.com";
const CAROL = "@carol:example.com";
const sha1 = (s: string): string => createHash("sha1").update(s).digest("hex");

function room() {
  const source = new MemorySource();
  const add = (
    id: string,
    sender: string,
    type: string,
    stateKey: string,
    content: JsonObject,
    depth: number,
  ) => {
    source.add(
      toPdu({
        event_id: `$${id}:example.com`,
        room_id: "!r:example.com",
        sender,
        type,
        state_key: stateKey,
        content,
        depth,
        origin_server_ts: depth,
      }),
    );
    return `$${id}:example.com`;
  };
  const base = [
    add("create", ALICE, "m.room.create", "", { creator: ALICE }, 1),
    add("alice", ALICE, "m.room.member", ALICE, { membership: "join" }, 2),
    add("pl", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }, 3),
    add("jr", ALICE, "m.room.join_rules", "", { join_rule: "public" }, 4),
    add("bob", BOB, "m.room.member", BOB, { membership: "join" }, 5),
  ];
  const state = (...ids: string[]) => source.stateOf([...base, ...ids]);
  return { source, add, state, base };
}

const id = (name: string): string => `$${name}:example.com`;

describe("state resolution v1 (room v1)", () => {
  it("takes keys that only some sets have: a missing key is not a conflict in v1", () => {
    const { source, add, state } = room();
    const t = add("topic", ALICE, "m.room.topic", "", { topic: "x" }, 6);
    const resolved = resolveState(v1, [state(t), state()], source);
    expect(resolved.get(stateTupleKey("m.room.topic", ""))).toBe(t);
  });

  it("power levels: a later PL the earlier one allows replaces it", () => {
    const { source, add, state } = room();
    // Bob (50) may raise Carol to 50 under the base PL; the deeper PL is checked second and allowed.
    const pl2 = add(
      "pl2",
      ALICE,
      "m.room.power_levels",
      "",
      { users: { [ALICE]: 100, [BOB]: 50, [CAROL]: 10 } },
      6,
    );
    const pl3 = add(
      "pl3",
      BOB,
      "m.room.power_levels",
      "",
      { users: { [ALICE]: 100, [BOB]: 50, [CAROL]: 50 } },
      7,
    );
    const resolved = resolveState(v1, [state(pl2), state(pl3)], source);
    expect(resolved.get(stateTupleKey("m.room.power_levels", ""))).toBe(pl3);
  });

  it("power levels: the walk stops at the first event the rules refuse", () => {
    const { source, add, state } = room();
    const pl2 = add(
      "pl2",
      ALICE,
      "m.room.power_levels",
      "",
      { users: { [ALICE]: 100, [BOB]: 50 }, ban: 40 },
      6,
    );
    // Bob cannot make himself 100, so the walk stops here even though pl4 would be allowed.
    const pl3 = add("pl3", BOB, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 100 } }, 7);
    const pl4 = add(
      "pl4",
      ALICE,
      "m.room.power_levels",
      "",
      { users: { [ALICE]: 100, [BOB]: 50 }, ban: 30 },
      8,
    );
    const resolved = resolveState(v1, [state(pl2), state(pl3), state(pl4)], source);
    expect(resolved.get(stateTupleKey("m.room.power_levels", ""))).toBe(pl2);
  });

  it("members: a ban deeper than the join wins; a join deeper than the ban is refused", () => {
    {
      const { source, add, state } = room();
      const carolJoin = add("carol-join", CAROL, "m.room.member", CAROL, { membership: "join" }, 6);
      const carolBan = add("carol-ban", ALICE, "m.room.member", CAROL, { membership: "ban" }, 7);
      const resolved = resolveState(v1, [state(carolJoin), state(carolBan)], source);
      expect(resolved.get(stateTupleKey("m.room.member", CAROL))).toBe(carolBan);
    }
    {
      const { source, add, state } = room();
      const carolBan = add("carol-ban", ALICE, "m.room.member", CAROL, { membership: "ban" }, 6);
      const carolJoin = add("carol-join", CAROL, "m.room.member", CAROL, { membership: "join" }, 7);
      const resolved = resolveState(v1, [state(carolJoin), state(carolBan)], source);
      expect(resolved.get(stateTupleKey("m.room.member", CAROL))).toBe(carolBan);
    }
  });

  it("resolves power levels before members: the resolved PL decides whether a kick is allowed", () => {
    const { source, add, state } = room();
    // One fork demotes Bob below the kick level; the other has Bob kick Carol (allowed at 50).
    const carol = add("carol", CAROL, "m.room.member", CAROL, { membership: "join" }, 6);
    const demote = add("demote", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 0 } }, 7);
    const kick = add("kick", BOB, "m.room.member", CAROL, { membership: "leave" }, 8);
    const resolved = resolveState(v1, [state(demote, carol), state(kick)], source);
    expect(resolved.get(stateTupleKey("m.room.power_levels", ""))).toBe(demote);
    expect(resolved.get(stateTupleKey("m.room.member", CAROL))).toBe(carol);
  });

  it("other conflicts: the deepest event that passes auth in R wins", () => {
    const { source, add, state } = room();
    const aliceTopic = add("topic-a", ALICE, "m.room.topic", "", { topic: "a" }, 6);
    const ban = add("bob-ban", ALICE, "m.room.member", BOB, { membership: "ban" }, 7);
    const bobTopic = add("topic-b", BOB, "m.room.topic", "", { topic: "b" }, 8);
    // Bob's deeper topic fails once his ban is resolved, so Alice's shallower topic is kept.
    const resolved = resolveState(v1, [state(aliceTopic, ban), state(bobTopic)], source);
    expect(resolved.get(stateTupleKey("m.room.member", BOB))).toBe(ban);
    expect(resolved.get(stateTupleKey("m.room.topic", ""))).toBe(aliceTopic);
    // Without the ban, the deeper topic wins.
    const resolved2 = resolveState(v1, [state(aliceTopic), state(bobTopic)], source);
    expect(resolved2.get(stateTupleKey("m.room.topic", ""))).toBe(bobTopic);
  });

  it("other conflicts at equal depth: the lowest sha1(event_id) wins", () => {
    const { source, add, state } = room();
    const a = add("topic-x", ALICE, "m.room.topic", "", { topic: "x" }, 6);
    const b = add("topic-y", ALICE, "m.room.topic", "", { topic: "y" }, 6);
    const expected = sha1(a) < sha1(b) ? a : b;
    expect(resolveState(v1, [state(a), state(b)], source).get(stateTupleKey("m.room.topic", ""))).toBe(
      expected,
    );
    expect(resolveState(v1, [state(b), state(a)], source).get(stateTupleKey("m.room.topic", ""))).toBe(
      expected,
    );
  });

  it("other conflicts where nothing passes auth keep the last in order (lowest depth), as Synapse does", () => {
    const { source, add, state } = room();
    const ban = add("bob-ban", ALICE, "m.room.member", BOB, { membership: "ban" }, 6);
    const t1 = add("t1", BOB, "m.room.topic", "", { topic: "1" }, 7);
    const t2 = add("t2", BOB, "m.room.topic", "", { topic: "2" }, 8);
    const resolved = resolveState(v1, [state(ban, t1), state(ban, t2)], source);
    expect(resolved.get(stateTupleKey("m.room.topic", ""))).toBe(t1);
  });

  it("orders by ascending depth, then descending sha1(event_id)", () => {
    const { source, add } = room();
    const ids = [
      add("p", ALICE, "t", "", {}, 2),
      add("q", ALICE, "t", "", {}, 1),
      add("r", ALICE, "t", "", {}, 2),
    ];
    const [p, q, r] = ids.map((x) => source.get(x));
    const sameDepth = sha1(p!.event_id) > sha1(r!.event_id) ? [p, r] : [r, p];
    expect(sortByDepthAndHash([p!, q!, r!]).map((e) => e.event_id)).toEqual(
      [q, ...sameDepth].map((e) => e!.event_id),
    );
  });

  it("identical sets resolve to themselves", () => {
    const { source, state } = room();
    const s = state();
    expect(describeState(resolveState(v1, [s, s, s], source))).toEqual(describeState(s));
    expect(id("create")).toBe(s.get(stateTupleKey("m.room.create", "")));
  });
});
