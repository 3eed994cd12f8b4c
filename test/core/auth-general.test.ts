/**
 * Spec-derived cases for the rules every non-create event passes through: the create event and room id,
 * m.federate, the v1–v5 aliases special case, sender membership, third-party invite events, required
 * power level, `@` state keys, and the v1–v2 redaction rule.
 */
import { describe, it } from "vitest";
import { checkAuth } from "../../src/core/auth-rules.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import {
  ALL_VERSIONS,
  expectAllowed,
  expectDenied,
  makeRoom,
  pdu,
  stateOf,
  type TestRoom,
} from "./auth-helpers.ts";

const ALICE = "@alice:a";
const BOB = "@bob:b";

function send(room: TestRoom, json: JsonObject) {
  return checkAuth(room.v, room.event(json), room.state);
}
const message = (sender: string): JsonObject => ({ type: "m.room.message", sender, content: { body: "hi" } });

describe("the create event and the room", () => {
  for (const id of ALL_VERSIONS) {
    it(`v${id}: rejects events when the auth state has no create event`, () => {
      const room = makeRoom(id);
      room.state.delete(stateTupleKey("m.room.create", ""));
      expectDenied(send(room, message(ALICE)), /m.room.create/);
    });
  }
  it("v1–v11: rejects an event whose create event is from another room", () => {
    const room = makeRoom("11");
    const e = room.event({ ...message(ALICE), room_id: "!other:a" });
    expectDenied(checkAuth(room.v, e, room.state), /another room/);
  });
  it("v12 rule 2: the room id must be ! + the create event id", () => {
    const room = makeRoom("12");
    expectAllowed(send(room, message(ALICE)));
    const e = room.event({ ...message(ALICE), room_id: "!somethingelse" });
    expectDenied(checkAuth(room.v, e, room.state), /room_id/);
    const legacy = room.event({ ...message(ALICE), room_id: "!createhash12:a" });
    expectDenied(checkAuth(room.v, legacy, room.state), /room_id/);
  });
  it("rejects state from another room among the entries the rules consult", () => {
    const room = makeRoom("10", { members: { [BOB]: "join" } });
    const foreign = pdu({
      event_id: "$f:a",
      room_id: "!other:a",
      type: "m.room.member",
      state_key: BOB,
      sender: BOB,
      content: { membership: "join" },
    });
    room.state.set(stateTupleKey("m.room.member", BOB), foreign);
    expectDenied(send(room, message(BOB)), /another room/);
  });
  it("ignores unrelated state entries", () => {
    const room = makeRoom("10");
    room.state.set(
      stateTupleKey("m.room.topic", ""),
      pdu({ event_id: "$t", room_id: "!x:y", type: "m.room.topic", state_key: "", sender: BOB }),
    );
    expectAllowed(send(room, message(ALICE)));
  });
  it("rejects a sender that is not a user id", () => {
    expectDenied(send(makeRoom("10"), message("alice")), /sender/);
  });
});

describe("m.federate", () => {
  for (const id of ["1", "10", "12"]) {
    it(`v${id}: m.federate false keeps other servers' senders out, even for joins`, () => {
      const room = makeRoom(id, {
        createContent: { "m.federate": false },
        joinRule: "public",
        members: { [BOB]: "join", "@carol:a": "join" },
      });
      expectDenied(send(room, message(BOB)), /m.federate/);
      expectDenied(
        send(room, {
          type: "m.room.member",
          sender: "@dave:b",
          state_key: "@dave:b",
          content: { membership: "join" },
        }),
        /m.federate/,
      );
      expectAllowed(send(room, message("@carol:a")));
    });
  }
  it("only a literal false disables federation", () => {
    const room = makeRoom("10", { createContent: { "m.federate": "false" }, members: { [BOB]: "join" } });
    expectAllowed(send(room, message(BOB)));
  });
});

describe("m.room.aliases", () => {
  for (const id of ["1", "2", "3", "4", "5"]) {
    it(`v${id}: allowed iff the state_key is the sender's domain, with no membership or power needed`, () => {
      const room = makeRoom(id, { powerLevels: { users: { [ALICE]: 100 }, state_default: 100 } });
      const aliases = (sender: string, stateKey?: string): JsonObject => ({
        type: "m.room.aliases",
        sender,
        ...(stateKey === undefined ? {} : { state_key: stateKey }),
        content: { aliases: ["#x:b"] },
      });
      expectAllowed(send(room, aliases(BOB, "b")));
      expectDenied(send(room, aliases(BOB, "a")), /domain/);
      expectDenied(send(room, aliases(BOB)), /state_key/);
    });
  }
  for (const id of ["6", "10", "12"]) {
    it(`v${id}: an ordinary state event (membership and state_default apply)`, () => {
      const room = makeRoom(id, { members: { "@carol:a": "join" } });
      const aliases = (sender: string): JsonObject => ({
        type: "m.room.aliases",
        sender,
        state_key: "b",
        content: {},
      });
      expectDenied(send(room, aliases(BOB)), /not joined/);
      expectDenied(send(room, aliases("@carol:a")), /too low/);
      expectAllowed(send(room, aliases(ALICE)));
    });
  }
});

describe("sender membership, required power level, @ state keys", () => {
  for (const id of ALL_VERSIONS) {
    it(`v${id}: the sender must be joined`, () => {
      const room = makeRoom(id, { members: { [BOB]: "invite", "@carol:c": "leave", "@dave:d": "ban" } });
      expectAllowed(send(room, message(ALICE)));
      for (const who of [BOB, "@carol:c", "@dave:d", "@eve:e"])
        expectDenied(send(room, message(who)), /not joined/);
    });
  }
  it("message events need events_default or their events entry; state events state_default", () => {
    const room = makeRoom("10", {
      powerLevels: {
        users: { [ALICE]: 100, [BOB]: 20 },
        events_default: 10,
        events: { "m.reaction": 30, "m.room.topic": 20 },
      },
      members: { [BOB]: "join", "@carol:c": "join" },
    });
    expectAllowed(send(room, message(BOB)));
    expectDenied(send(room, message("@carol:c")), /too low/);
    expectDenied(send(room, { type: "m.reaction", sender: BOB, content: {} }), /too low/);
    expectAllowed(send(room, { type: "m.room.topic", sender: BOB, state_key: "", content: {} }));
    expectDenied(send(room, { type: "m.room.name", sender: BOB, state_key: "", content: {} }), /too low/);
  });
  it("without a PL event: state needs 50 (creator only), messages 0", () => {
    const room = makeRoom("10", { members: { [BOB]: "join" } });
    expectAllowed(send(room, message(BOB)));
    expectDenied(send(room, { type: "m.room.name", sender: BOB, state_key: "", content: {} }), /too low/);
    expectAllowed(send(room, { type: "m.room.name", sender: ALICE, state_key: "", content: {} }));
  });
  it("negative levels work (gomatrixserverlib TestNegativePowerLevels idea)", () => {
    const room = makeRoom("10", {
      powerLevels: { users_default: -10, events_default: -10, state_default: -10 },
      members: { [BOB]: "join" },
    });
    expectAllowed(send(room, message(BOB)));
  });
  it("a state_key starting with @ must be the sender", () => {
    const room = makeRoom("10", {
      members: { [BOB]: "join" },
      powerLevels: { users: { [ALICE]: 100 }, state_default: 0 },
    });
    expectAllowed(send(room, { type: "m.custom", sender: BOB, state_key: BOB, content: {} }));
    expectDenied(send(room, { type: "m.custom", sender: ALICE, state_key: BOB, content: {} }), /@/);
    expectAllowed(send(room, { type: "m.custom", sender: BOB, state_key: "bob", content: {} }));
  });
  it("v12: creators pass every required level", () => {
    const room = makeRoom("12", {
      powerLevels: { state_default: 9007199254740991, events_default: 9007199254740991 },
    });
    expectAllowed(send(room, message(ALICE)));
    expectAllowed(send(room, { type: "m.room.tombstone", sender: ALICE, state_key: "", content: {} }));
  });
});

describe("m.room.third_party_invite events", () => {
  const room = makeRoom("10", {
    powerLevels: { users: { [ALICE]: 100 }, invite: 50, state_default: 100 },
    members: { [BOB]: "join" },
  });
  const tpi = (sender: string): JsonObject => ({
    type: "m.room.third_party_invite",
    sender,
    state_key: "tok",
    content: { public_key: "k" },
  });
  it("are governed by the invite level, not state_default", () => {
    expectAllowed(send(room, tpi(ALICE)));
    expectDenied(send(room, tpi(BOB)), /invite level/);
    const open = makeRoom("10", {
      members: { [BOB]: "join" },
      powerLevels: { users: { [ALICE]: 100 }, state_default: 100 },
    });
    expectAllowed(send(open, tpi(BOB)));
  });
  it("still need a joined sender", () => {
    expectDenied(send(room, tpi("@x:x")), /not joined/);
  });
});

describe("m.room.redaction", () => {
  const spec = { powerLevels: { users: { [ALICE]: 100 }, redact: 50 }, members: { [BOB]: "join" } };
  const redaction = (sender: string, eventId: string, redacts?: string): JsonObject => ({
    type: "m.room.redaction",
    sender,
    event_id: eventId,
    content: {},
    ...(redacts === undefined ? {} : { redacts }),
  });
  for (const id of ["1", "2"]) {
    it(`v${id}: rule 11 — redact level, or the same event id domain`, () => {
      const room = makeRoom(id, spec);
      expectAllowed(send(room, redaction(ALICE, "$r1:a", "$target:b")));
      expectAllowed(send(room, redaction(BOB, "$r2:b", "$target:b")));
      expectDenied(send(room, redaction(BOB, "$r3:b", "$target:a")), /redact/);
      expectDenied(send(room, redaction(ALICE, "$r4:a")), /redacts/);
    });
  }
  for (const id of ["3", "10", "11", "12"]) {
    it(`v${id}: the redact level is not an auth rule any more`, () => {
      const room = makeRoom(id, spec);
      expectAllowed(send(room, redaction(BOB, "$r3", "$target")));
      expectAllowed(send(room, { type: "m.room.redaction", sender: BOB, content: { redacts: "$t" } }));
    });
  }
  it("v3+: an events entry for m.room.redaction still applies", () => {
    const room = makeRoom("10", {
      powerLevels: { users: { [ALICE]: 100 }, events: { "m.room.redaction": 50 } },
      members: { [BOB]: "join" },
    });
    expectDenied(send(room, redaction(BOB, "$r", "$t")), /too low/);
  });
});

describe("v12: the create event is found through the auth state only", () => {
  it("works from a state map holding just the create event and the sender's join", () => {
    const room = makeRoom("12");
    const join = [...room.state.values()].find((e) => e.type === "m.room.member");
    if (!join) throw new Error("fixture");
    expectAllowed(checkAuth(room.v, room.event(message(ALICE)), stateOf(room.create, join)));
  });
});
