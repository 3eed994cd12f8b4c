/**
 * Invariants of state resolution over randomly grown rooms: several forks of one room each receive
 * random membership, power level, join rule and topic events (kept when the auth rules allow them
 * against that fork's state), and the forks' states are resolved.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authTypesForEvent, checkAuth } from "../../src/core/auth-rules.ts";
import { isJsonObject, type JsonObject } from "../../src/core/json.ts";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import type { RoomVersion } from "../../src/core/room-versions.ts";
import { stateTupleKey, type StateTupleKey } from "../../src/core/state-key.ts";
import { resolveState } from "../../src/core/state-res/index.ts";
import { describeState, MemorySource, roomVersion, toPdu } from "./state-res-support.ts";

const USERS = ["@u0:x", "@u1:x", "@u2:x", "@u3:x", "@u4:x"] as const;
const KINDS = ["fork", "join", "leave", "topic", "pl", "kick", "ban", "join_rules"] as const;

interface Action {
  kind: (typeof KINDS)[number];
  fork: number;
  sender: number;
  target: number;
  level: number;
  ts: number;
}

const actionArb: fc.Arbitrary<Action> = fc.record({
  // Forks and topics are the commonest actions, so rooms branch and conflict often.
  kind: fc.constantFrom(...KINDS, "fork", "fork", "topic", "pl"),
  fork: fc.nat(7),
  // Mostly the powerful users, whose events the rules allow, sometimes anyone.
  sender: fc.constantFrom(0, 0, 1, 1, 1, 2, 3, 4),
  target: fc.nat(USERS.length - 1),
  level: fc.constantFrom(0, 25, 50, 100),
  // A narrow range, so origin_server_ts ties and the event id tie-break get exercised.
  ts: fc.nat(12),
});

type State = Map<StateTupleKey, string>;

/** Grows a room along the actions and returns the forks' states. */
function grow(version: RoomVersion, actions: readonly Action[]): { source: MemorySource; forks: State[] } {
  const source = new MemorySource();
  const v12Style = version.roomIdFromCreateEvent;
  const roomId = v12Style ? "!create" : "!r:x";
  let counter = 0;
  const creator = USERS[0];
  const create = toPdu({
    event_id: "$create",
    type: "m.room.create",
    state_key: "",
    sender: creator,
    content: { creator, room_version: version.id },
    ...(v12Style ? {} : { room_id: roomId }),
  });
  source.add(create);
  const forks: State[] = [new Map([[stateTupleKey("m.room.create", ""), create.event_id]])];
  // The newest event on each fork, for prev_events (the creator's first join must follow the create).
  const heads = new Map<State, string>([[forks[0]!, create.event_id]]);

  const send = (
    fork: State,
    sender: string,
    type: string,
    stateKey: string,
    content: JsonObject,
    ts: number,
  ) => {
    const draft = { type, sender, state_key: stateKey, content };
    const authIds = authTypesForEvent(version, draft)
      .map(([t, k]) => fork.get(stateTupleKey(t, k)))
      .filter((id): id is string => id !== undefined);
    const event: IdentifiedPdu = toPdu({
      ...draft,
      event_id: `$e${counter++}`,
      room_id: roomId,
      origin_server_ts: ts,
      depth: counter,
      auth_events: authIds,
      prev_events: [heads.get(fork)!],
    });
    const authState = new Map<StateTupleKey, IdentifiedPdu>();
    for (const id of [...authIds, create.event_id]) {
      const e = source.get(id);
      authState.set(stateTupleKey(e.type, e.state_key as string), e);
    }
    if (!checkAuth(version, event, authState).allowed) return;
    source.add(event);
    fork.set(stateTupleKey(type, stateKey), event.event_id);
    heads.set(fork, event.event_id);
  };

  const root = forks[0]!;
  send(root, creator, "m.room.member", creator, { membership: "join" }, 0);
  // v12 creators may not be listed in `users` (auth rule 10.4); they are infinitely powerful anyway.
  const staff = { [USERS[1]]: 50, [USERS[2]]: 25 };
  send(
    root,
    creator,
    "m.room.power_levels",
    "",
    { users: version.privilegedCreators ? staff : { [creator]: 100, ...staff } },
    0,
  );
  send(root, creator, "m.room.join_rules", "", { join_rule: "public" }, 0);
  // Most senders are members from the start, so most random events pass the auth rules.
  for (const user of USERS.slice(1, 4)) send(root, user, "m.room.member", user, { membership: "join" }, 0);

  for (const a of actions) {
    const fork = forks[a.fork % forks.length]!;
    const sender = USERS[a.sender]!;
    const target = USERS[a.target]!;
    switch (a.kind) {
      case "fork": {
        const copy = new Map(fork);
        forks.push(copy);
        heads.set(copy, heads.get(fork)!);
        break;
      }
      case "join":
        send(fork, sender, "m.room.member", sender, { membership: "join" }, a.ts);
        break;
      case "leave":
        send(fork, sender, "m.room.member", sender, { membership: "leave" }, a.ts);
        break;
      case "kick":
        send(fork, sender, "m.room.member", target, { membership: "leave" }, a.ts);
        break;
      case "ban":
        send(fork, sender, "m.room.member", target, { membership: "ban" }, a.ts);
        break;
      case "topic":
        send(fork, sender, "m.room.topic", "", { topic: `${a.ts}` }, a.ts);
        break;
      case "join_rules":
        send(fork, sender, "m.room.join_rules", "", { join_rule: a.level >= 50 ? "invite" : "public" }, a.ts);
        break;
      case "pl": {
        const current = source.getEvent(fork.get(stateTupleKey("m.room.power_levels", "")) ?? "")?.content
          .users;
        const users: JsonObject = isJsonObject(current) ? { ...current } : {};
        if (!(version.privilegedCreators && target === creator)) users[target] = a.level;
        send(fork, sender, "m.room.power_levels", "", { users }, a.ts);
        break;
      }
    }
  }
  return { source, forks };
}

function shuffled<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i % Math.max(keys.length, 1)] ?? 0, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((x) => x.item);
}

const roomArb = fc.array(actionArb, { minLength: 5, maxLength: 40, size: "max" });

for (const versionId of ["1", "10", "12"]) {
  const version = roomVersion(versionId);
  describe(`state resolution invariants, room v${versionId} (${version.stateRes})`, () => {
    it("does not depend on the order of the state sets", () => {
      fc.assert(
        fc.property(roomArb, fc.array(fc.integer(), { minLength: 1, maxLength: 8 }), (actions, keys) => {
          const { source, forks } = grow(version, actions);
          const resolved = describeState(resolveState(version, forks, source));
          expect(describeState(resolveState(version, [...forks].reverse(), source))).toEqual(resolved);
          expect(describeState(resolveState(version, shuffled(forks, keys), source))).toEqual(resolved);
        }),
        { numRuns: 60 },
      );
    });

    it("returns a single set, or identical sets, unchanged", () => {
      fc.assert(
        fc.property(roomArb, fc.integer({ min: 2, max: 4 }), (actions, copies) => {
          const { source, forks } = grow(version, actions);
          for (const fork of forks) {
            const expected = describeState(fork);
            expect(describeState(resolveState(version, [fork], source))).toEqual(expected);
            const same = Array.from({ length: copies }, () => new Map(fork));
            expect(describeState(resolveState(version, same, source))).toEqual(expected);
          }
        }),
        { numRuns: 60 },
      );
    });

    it("ignores duplicate sets and keeps every unconflicted entry", () => {
      fc.assert(
        fc.property(roomArb, (actions) => {
          const { source, forks } = grow(version, actions);
          const resolved = resolveState(version, forks, source);
          expect(describeState(resolveState(version, [...forks, ...forks], source))).toEqual(
            describeState(resolved),
          );
          for (const [key, id] of forks[0]!) {
            if (forks.every((f) => f.get(key) === id)) expect(resolved.get(key)).toBe(id);
          }
        }),
        { numRuns: 60 },
      );
    });
  });
}

describe("state resolution errors", () => {
  it("throws a clear error when the source lacks a state event", () => {
    const version = roomVersion("10");
    const { source, forks } = grow(version, []);
    const broken = new Map(forks[0]);
    broken.set(stateTupleKey("m.room.topic", ""), "$nowhere");
    expect(() => resolveState(version, [forks[0]!, broken], source)).toThrow(/\$nowhere/);
  });

  it("needs no events when there is nothing to resolve", () => {
    const version = roomVersion("12");
    const empty = new MemorySource();
    const set = new Map([[stateTupleKey("m.room.create", ""), "$c"]]);
    expect(resolveState(version, [], empty).size).toBe(0);
    expect(describeState(resolveState(version, [set, set], empty))).toEqual(describeState(set));
  });
});
