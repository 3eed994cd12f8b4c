/** Spec-derived cases for power level parsing, user levels, and the `m.room.power_levels` auth rule. */
import { describe, expect, it } from "vitest";
import { checkAuth } from "../../src/core/auth-rules.ts";
import { RawNumber, type JsonObject } from "../../src/core/json.ts";
import {
  parseLevelValue,
  parsePowerLevels,
  requiredPowerLevel,
  roomCreators,
  userPowerLevel,
} from "../../src/core/power-levels.ts";
import {
  ALL_VERSIONS,
  expectAllowed,
  expectDenied,
  makeRoom,
  pdu,
  version,
  type TestRoom,
} from "./auth-helpers.ts";

const ALICE = "@alice:a";
const BOB = "@bob:b";
const CAROL = "@carol:c";

describe("parseLevelValue", () => {
  it("accepts integers in every version", () => {
    for (const id of ALL_VERSIONS) expect(parseLevelValue(-5, version(id))).toBe(-5);
  });
  it("accepts integer strings before v10 (stringy fragment), with sign, zeros and whitespace", () => {
    const v9 = version("9");
    expect(parseLevelValue("100", v9)).toBe(100);
    expect(parseLevelValue(" 000100 ", v9)).toBe(100);
    expect(parseLevelValue("+100", v9)).toBe(100);
    expect(parseLevelValue(" -100 ", v9)).toBe(-100);
    expect(parseLevelValue("-0", v9)).toBe(0);
    for (const bad of ["1.5", "1e2", "", "+-1", "0x10", "abc", "1 0"])
      expect(parseLevelValue(bad, v9)).toBeUndefined();
  });
  it("rejects strings from v10", () => {
    expect(parseLevelValue("100", version("10"))).toBeUndefined();
  });
  it("truncates floats in v1–v5 only (floaty fragment)", () => {
    expect(parseLevelValue(new RawNumber("50.57"), version("5"))).toBe(50);
    expect(parseLevelValue(new RawNumber("5.114698E4"), version("1"))).toBe(51146);
    expect(parseLevelValue(new RawNumber("-0.5"), version("1"))).toBe(0);
    expect(parseLevelValue(50.57, version("3"))).toBe(50);
    expect(parseLevelValue(new RawNumber("1e400"), version("1"))).toBeUndefined();
    expect(parseLevelValue(new RawNumber("50.5"), version("6"))).toBeUndefined();
    expect(parseLevelValue(50.5, version("6"))).toBeUndefined();
  });
  it("rejects booleans, null, objects", () => {
    for (const bad of [true, null, {}, []]) expect(parseLevelValue(bad, version("1"))).toBeUndefined();
  });
});

describe("parsePowerLevels", () => {
  it("fills every default (no PL event: state_default 50 too)", () => {
    const pl = parsePowerLevels(undefined, version("10"));
    expect(pl).toMatchObject({
      users_default: 0,
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 50,
      invite: 0,
    });
    expect(pl.users.size).toBe(0);
    expect(pl.events.size).toBe(0);
    expect(pl.notifications.get("room")).toBe(50);
    expect(parsePowerLevels({}, version("10")).state_default).toBe(50);
  });
  it("reads the content, ignoring values that are not levels in the version", () => {
    const content: JsonObject = {
      ban: "60",
      kick: 40,
      users: { [ALICE]: "100", [BOB]: 10 },
      events: { "m.room.name": "75" },
      notifications: { room: 20 },
    };
    const v9 = parsePowerLevels(content, version("9"));
    expect([v9.ban, v9.kick, v9.users.get(ALICE), v9.users.get(BOB), v9.events.get("m.room.name")]).toEqual([
      60, 40, 100, 10, 75,
    ]);
    expect(v9.notifications.get("room")).toBe(20);
    const v10 = parsePowerLevels(content, version("10"));
    expect([v10.ban, v10.users.get(ALICE), v10.events.get("m.room.name")]).toEqual([
      50,
      undefined,
      undefined,
    ]);
  });
  it("treats __proto__ as an ordinary user key", () => {
    const content = JSON.parse('{"users":{"__proto__":5}}') as JsonObject;
    expect(parsePowerLevels(content, version("10")).users.get("__proto__")).toBe(5);
  });
});

describe("requiredPowerLevel", () => {
  const pl = parsePowerLevels(
    { events: { "m.room.name": 70, "m.custom": 5 }, state_default: 40, events_default: 10 },
    version("10"),
  );
  it("uses the events entry, else state_default or events_default", () => {
    expect(requiredPowerLevel(version("10"), pl, "m.room.name", true)).toBe(70);
    expect(requiredPowerLevel(version("10"), pl, "m.custom", false)).toBe(5);
    expect(requiredPowerLevel(version("10"), pl, "m.room.topic", true)).toBe(40);
    expect(requiredPowerLevel(version("10"), pl, "m.room.message", false)).toBe(10);
  });
});

describe("roomCreators and userPowerLevel", () => {
  const create = (content: JsonObject) =>
    pdu({ event_id: "$c", type: "m.room.create", state_key: "", sender: ALICE, content });
  it("v1–v10: content.creator; v11: the sender; v12: sender + additional_creators", () => {
    expect(roomCreators(version("10"), create({ creator: BOB }))).toEqual([BOB]);
    expect(roomCreators(version("10"), create({}))).toEqual([]);
    expect(roomCreators(version("11"), create({ creator: BOB, additional_creators: [CAROL] }))).toEqual([
      ALICE,
    ]);
    expect(roomCreators(version("12"), create({ additional_creators: [CAROL, ALICE, "junk"] }))).toEqual([
      ALICE,
      CAROL,
    ]);
  });
  it("without a PL event the creator has 100, everyone else 0 (v1–v11)", () => {
    expect(userPowerLevel(version("10"), BOB, undefined, create({ creator: BOB }))).toBe(100);
    expect(userPowerLevel(version("10"), ALICE, undefined, create({ creator: BOB }))).toBe(0);
    expect(userPowerLevel(version("11"), ALICE, undefined, create({ creator: BOB }))).toBe(100);
    expect(userPowerLevel(version("11"), BOB, undefined, create({ creator: BOB }))).toBe(0);
  });
  it("with a PL event the creator gets no special treatment before v12", () => {
    const pl = pdu({
      event_id: "$pl",
      type: "m.room.power_levels",
      state_key: "",
      sender: ALICE,
      content: { users_default: 3 },
    });
    expect(userPowerLevel(version("11"), ALICE, pl, create({}))).toBe(3);
  });
  it("v12: creators are infinite with or without a PL event; others from the PL event or 0", () => {
    const c = create({ additional_creators: [BOB] });
    const pl = pdu({
      event_id: "$pl",
      type: "m.room.power_levels",
      state_key: "",
      sender: ALICE,
      content: { users: { [CAROL]: 7 } },
    });
    expect(userPowerLevel(version("12"), ALICE, undefined, c)).toBe(Infinity);
    expect(userPowerLevel(version("12"), BOB, pl, c)).toBe(Infinity);
    expect(userPowerLevel(version("12"), CAROL, pl, c)).toBe(7);
    expect(userPowerLevel(version("12"), CAROL, undefined, c)).toBe(0);
  });
});

/** A room where Alice (creator) has 100 and Bob 50, both joined; Bob's changes are the interesting ones. */
function plRoom(versionId: string, content: JsonObject = {}): TestRoom {
  return makeRoom(versionId, {
    powerLevels: { users: { [ALICE]: 100, [BOB]: 50 }, ...content },
    members: { [BOB]: "join", [CAROL]: "join" },
  });
}
function plEvent(room: TestRoom, sender: string, content: JsonObject) {
  return room.event({ type: "m.room.power_levels", state_key: "", sender, content });
}
function checkPl(room: TestRoom, sender: string, content: JsonObject) {
  return checkAuth(room.v, plEvent(room, sender, content), room.state);
}
const base = { users: { [ALICE]: 100, [BOB]: 50 } };

describe("m.room.power_levels: structure", () => {
  it("v10+: scalar levels must be integers", () => {
    for (const id of ["10", "11", "12"]) {
      const users = id === "12" ? { [BOB]: 50 } : base.users;
      const room = plRoom(id);
      expectDenied(checkPl(room, ALICE, { users, ban: "50" }), /ban must be an integer/);
      expectDenied(checkPl(room, ALICE, { users, invite: true }), /invite/);
    }
    expectAllowed(checkPl(plRoom("9"), ALICE, { ...base, ban: "50" }));
  });
  it("v10+: events and notifications must be objects of integers", () => {
    const room = plRoom("10");
    expectDenied(checkPl(room, ALICE, { ...base, events: { "m.room.name": "50" } }), /events/);
    expectDenied(checkPl(room, ALICE, { ...base, events: [] }), /events/);
    expectDenied(checkPl(room, ALICE, { ...base, notifications: { room: "50" } }), /notifications/);
    expectAllowed(checkPl(plRoom("9"), ALICE, { ...base, events: { "m.room.name": "50" } }));
  });
  it("users must be an object of valid user ids to levels (all versions)", () => {
    for (const id of ALL_VERSIONS) {
      const users = id === "12" ? { [BOB]: 50 } : base.users;
      const room = plRoom(id);
      expectDenied(checkPl(room, ALICE, { users: { ...users, "not-a-user": 1 } }), /valid user id/);
      expectDenied(checkPl(room, ALICE, { users: { ...users, "@nodomain": 1 } }), /valid user id/);
      expectDenied(checkPl(room, ALICE, { users: [] }), /users/);
      expectDenied(checkPl(room, ALICE, { users: { ...users, [CAROL]: "lots" } }), /power level/);
    }
  });
  it("users values may be integer strings before v10 only", () => {
    expectAllowed(checkPl(plRoom("9"), ALICE, { users: { [ALICE]: "100", [BOB]: "50" } }));
    expectDenied(checkPl(plRoom("10"), ALICE, { users: { [ALICE]: "100", [BOB]: 50 } }), /power level/);
  });
  it("floats: v1–v5 truncate them, v6+ reject them, infinite values are rejected", () => {
    expectAllowed(checkPl(plRoom("5"), ALICE, { users: { [ALICE]: 100, [BOB]: new RawNumber("50.57") } }));
    expectDenied(checkPl(plRoom("6"), ALICE, { users: { [ALICE]: 100, [BOB]: new RawNumber("50.57") } }));
    expectDenied(checkPl(plRoom("1"), ALICE, { ...base, ban: new RawNumber("1e400") }), /finite/);
  });
  it("historical user ids (any localpart without ':') are valid keys", () => {
    expectAllowed(checkPl(plRoom("10"), ALICE, { users: { ...base.users, "@Old User!:a": 1 } }));
  });
});

describe("m.room.power_levels: changes", () => {
  it("the first PL event is allowed whatever it says (no previous PL event)", () => {
    const room = makeRoom("10");
    const e = room.event({
      type: "m.room.power_levels",
      state_key: "",
      sender: ALICE,
      content: { users_default: 1000, ban: 9000 },
    });
    expectAllowed(checkAuth(room.v, e, room.state));
  });
  it("needs the required level for m.room.power_levels (state_default 50)", () => {
    expectDenied(checkPl(plRoom("10"), CAROL, base), /too low/);
  });
  it("scalars: old and new value must both be within the sender's level", () => {
    const room = plRoom("10", { kick: 50 });
    expectAllowed(checkPl(room, BOB, { ...base, kick: 20 }));
    expectAllowed(checkPl(room, BOB, { ...base, kick: 50, redact: 50 }));
    expectDenied(checkPl(room, BOB, { ...base, kick: 50, ban: 51 }), /ban/);
    const high = plRoom("10", { state_default: 50, ban: 75 });
    expectDenied(checkPl(high, BOB, { ...base, state_default: 50, ban: 10 }), /ban/);
    expectDenied(checkPl(high, BOB, { ...base, state_default: 50 }), /ban/); // removal counts as a change
    expectAllowed(checkPl(high, BOB, { ...base, state_default: 50, ban: 75 }));
  });
  it("events: changing or removing an entry above the sender, or adding one above, is rejected", () => {
    const room = plRoom("10", { events: { "m.room.tombstone": 100, "m.room.name": 50 } });
    const ev = (events: JsonObject) => ({ ...base, events });
    expectAllowed(checkPl(room, BOB, ev({ "m.room.tombstone": 100, "m.room.name": 10 })));
    expectDenied(
      checkPl(room, BOB, ev({ "m.room.tombstone": 50, "m.room.name": 50 })),
      /events.m.room.tombstone/,
    );
    expectDenied(checkPl(room, BOB, ev({ "m.room.name": 50 })), /events.m.room.tombstone/);
    expectDenied(
      checkPl(room, BOB, ev({ "m.room.tombstone": 100, "m.room.name": 50, "m.x": 51 })),
      /events.m.x/,
    );
  });
  it("notifications are only checked from v6", () => {
    const content = { ...base, notifications: { room: 100 } };
    expectAllowed(checkPl(plRoom("5"), BOB, content));
    expectDenied(checkPl(plRoom("6"), BOB, content), /notifications.room/);
    expectDenied(checkPl(plRoom("6", { notifications: { room: 90 } }), BOB, base), /notifications.room/);
    expectAllowed(checkPl(plRoom("6"), BOB, { ...base, notifications: { room: 50 } }));
  });
  it("users: others' entries need strictly more power to change or remove; new values within the sender's", () => {
    const room = plRoom("10", { users: { [ALICE]: 100, [BOB]: 50, [CAROL]: 49, "@peer:p": 50 } });
    const users = { [ALICE]: 100, [BOB]: 50, [CAROL]: 49, "@peer:p": 50 };
    expectAllowed(checkPl(room, BOB, { users: { ...users, [CAROL]: 0 } }));
    expectAllowed(checkPl(room, BOB, { users: { ...users, [CAROL]: 50 } }));
    expectDenied(checkPl(room, BOB, { users: { ...users, [CAROL]: 51 } }), /carol/);
    expectDenied(checkPl(room, BOB, { users: { ...users, "@peer:p": 0 } }), /peer/);
    const { "@peer:p": _peer, ...withoutPeer } = users;
    expectDenied(checkPl(room, BOB, { users: withoutPeer }), /peer/);
    expectAllowed(checkPl(room, BOB, { users: { ...users, "@new:n": 50 } }));
    expectDenied(checkPl(room, BOB, { users: { ...users, "@new:n": 51 } }), /new/);
  });
  it("users: the sender may lower or remove their own entry, never raise it", () => {
    const room = plRoom("10");
    expectAllowed(checkPl(room, BOB, { users: { [ALICE]: 100, [BOB]: 10 } }));
    expectAllowed(checkPl(room, BOB, { users: { [ALICE]: 100 } }));
    expectDenied(checkPl(room, BOB, { users: { [ALICE]: 100, [BOB]: 51 } }), /bob/);
  });
  it("users_default: lowering below one's own level is fine, raising above it is not", () => {
    const room = plRoom("10");
    expectAllowed(checkPl(room, BOB, { ...base, users_default: 50 }));
    expectDenied(checkPl(room, BOB, { ...base, users_default: 51 }), /users_default/);
  });
  it("string and integer spellings of the same level are not a change (v1–v9)", () => {
    const room = plRoom("9", { ban: 100 });
    expectAllowed(checkPl(room, BOB, { ...base, ban: "100" }));
  });
});

describe("m.room.power_levels: v12 creators", () => {
  const room = makeRoom("12", {
    createContent: { additional_creators: [CAROL] },
    powerLevels: { users: { [BOB]: 100 } },
    members: { [BOB]: "join", [CAROL]: "join" },
  });
  it("rejects users containing the create event's sender or an additional creator (rule 10.4)", () => {
    expectDenied(checkPl(room, ALICE, { users: { [BOB]: 100, [ALICE]: 100 } }), /creator/);
    expectDenied(checkPl(room, ALICE, { users: { [BOB]: 100, [CAROL]: 0 } }), /creator/);
  });
  it("rule 10.4 applies to the first PL event too", () => {
    const fresh = makeRoom("12");
    const e = fresh.event({
      type: "m.room.power_levels",
      state_key: "",
      sender: ALICE,
      content: { users: { [ALICE]: 100 } },
    });
    expectDenied(checkAuth(fresh.v, e, fresh.state), /creator/);
  });
  it("v11 allows the creator in users", () => {
    const v11 = makeRoom("11", { powerLevels: { users: { [ALICE]: 100 } } });
    const e = v11.event({
      type: "m.room.power_levels",
      state_key: "",
      sender: ALICE,
      content: { users: { [ALICE]: 100 } },
    });
    expectAllowed(checkAuth(v11.v, e, v11.state));
  });
  it("creators have infinite power: any level may be set, any admin demoted", () => {
    expectAllowed(
      checkPl(room, CAROL, { users: { [BOB]: 0, "@x:x": 9007199254740991 }, ban: 9007199254740991 }),
    );
  });
  it("an admin cannot outrank the creators' infinite power", () => {
    expectAllowed(checkPl(room, BOB, { users: { [BOB]: 100, "@x:x": 100 } }));
    expectDenied(checkPl(room, BOB, { users: { [BOB]: 100, "@x:x": 101 } }));
  });
});
