/** Auth events selection (server-server API) and the rule that checks the cited auth_events. */
import { describe, expect, it } from "vitest";
import { authTypesForEvent, checkAuthEventsSelection } from "../../src/core/auth-rules.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import { ALL_VERSIONS, expectAllowed, expectDenied, pdu, version } from "./auth-helpers.ts";

const ALICE = "@alice:a";
const BOB = "@bob:b";

const sorted = (types: Array<[string, string]>) => types.map(([t, k]) => `${t}|${k}`).sort();

describe("authTypesForEvent", () => {
  it("create events cite nothing", () => {
    for (const id of ALL_VERSIONS) {
      expect(
        authTypesForEvent(version(id), { type: "m.room.create", sender: ALICE, state_key: "", content: {} }),
      ).toEqual([]);
    }
  });
  it("v1–v11 include the create event; v12 never does", () => {
    const msg = { type: "m.room.message", sender: ALICE, content: {} };
    for (const id of ALL_VERSIONS.slice(0, 11)) {
      expect(sorted(authTypesForEvent(version(id), msg))).toEqual([
        "m.room.create|",
        `m.room.member|${ALICE}`,
        "m.room.power_levels|",
      ]);
    }
    expect(sorted(authTypesForEvent(version("12"), msg))).toEqual([
      `m.room.member|${ALICE}`,
      "m.room.power_levels|",
    ]);
  });
  it("membership events add the target, and join rules for join/invite/knock only", () => {
    const v = version("12");
    const m = (
      membership: string,
      target = BOB,
    ): JsonObject & { type: string; sender: string; state_key: string; content: JsonObject } => ({
      type: "m.room.member",
      sender: ALICE,
      state_key: target,
      content: { membership },
    });
    for (const membership of ["join", "invite", "knock"]) {
      expect(sorted(authTypesForEvent(v, m(membership)))).toEqual([
        "m.room.join_rules|",
        `m.room.member|${ALICE}`,
        `m.room.member|${BOB}`,
        "m.room.power_levels|",
      ]);
    }
    for (const membership of ["leave", "ban"]) {
      expect(sorted(authTypesForEvent(v, m(membership)))).toEqual([
        `m.room.member|${ALICE}`,
        `m.room.member|${BOB}`,
        "m.room.power_levels|",
      ]);
    }
    expect(authTypesForEvent(v, m("join", ALICE))).toHaveLength(3); // sender == target: listed once
  });
  it("third-party invites add the m.room.third_party_invite for the token", () => {
    const e = {
      type: "m.room.member",
      sender: ALICE,
      state_key: BOB,
      content: { membership: "invite", third_party_invite: { signed: { token: "tok", mxid: BOB } } },
    };
    expect(authTypesForEvent(version("10"), e)).toContainEqual(["m.room.third_party_invite", "tok"]);
    const noToken = { ...e, content: { membership: "invite", third_party_invite: { signed: {} } } };
    expect(
      sorted(authTypesForEvent(version("10"), noToken)).some((k) =>
        k.startsWith("m.room.third_party_invite"),
      ),
    ).toBe(false);
  });
  it("restricted joins add the authorising user's membership from v8", () => {
    const e = {
      type: "m.room.member",
      sender: BOB,
      state_key: BOB,
      content: { membership: "join", join_authorised_via_users_server: ALICE },
    };
    expect(sorted(authTypesForEvent(version("7"), e))).not.toContain(`m.room.member|${ALICE}`);
    expect(sorted(authTypesForEvent(version("8"), e))).toContain(`m.room.member|${ALICE}`);
    const leave = { ...e, content: { membership: "leave", join_authorised_via_users_server: ALICE } };
    expect(sorted(authTypesForEvent(version("10"), leave))).not.toContain(`m.room.member|${ALICE}`);
  });
});

describe("checkAuthEventsSelection", () => {
  const roomId = "!r:a";
  const ev = (json: JsonObject): IdentifiedPdu => pdu({ room_id: roomId, ...json });
  const create = ev({
    event_id: "$c",
    type: "m.room.create",
    state_key: "",
    sender: ALICE,
    content: { creator: ALICE },
  });
  const pl = ev({ event_id: "$pl", type: "m.room.power_levels", state_key: "", sender: ALICE, content: {} });
  const aliceJoin = ev({
    event_id: "$aj",
    type: "m.room.member",
    state_key: ALICE,
    sender: ALICE,
    content: { membership: "join" },
  });
  const jr = ev({
    event_id: "$jr",
    type: "m.room.join_rules",
    state_key: "",
    sender: ALICE,
    content: { join_rule: "public" },
  });
  const msg = ev({ event_id: "$m", type: "m.room.message", sender: ALICE, content: {} });
  const v10 = version("10");

  it("accepts the selection, in any order, or a subset of it", () => {
    expectAllowed(checkAuthEventsSelection(v10, msg, [pl, create, aliceJoin]));
    expectAllowed(checkAuthEventsSelection(v10, msg, [create]));
  });
  it("v1–v11 require the create event", () => {
    expectDenied(checkAuthEventsSelection(v10, msg, [pl, aliceJoin]), /m.room.create/);
  });
  it("rejects duplicates of a (type, state_key)", () => {
    const pl2 = { ...pl, event_id: "$pl2" };
    expectDenied(checkAuthEventsSelection(v10, msg, [create, pl, pl2]), /duplicate/);
  });
  it("rejects entries the selection does not allow", () => {
    expectDenied(checkAuthEventsSelection(v10, msg, [create, jr]), /may cite/);
    const bobJoin = ev({
      event_id: "$bj",
      type: "m.room.member",
      state_key: BOB,
      sender: BOB,
      content: { membership: "join" },
    });
    expectDenied(checkAuthEventsSelection(v10, msg, [create, bobJoin]), /may cite/);
    expectDenied(
      checkAuthEventsSelection(v10, msg, [
        create,
        ev({ event_id: "$x", type: "m.room.message", sender: ALICE }),
      ]),
      /not a state event/,
    );
  });
  it("allows join rules and the target for membership events", () => {
    const invite = ev({
      event_id: "$i",
      type: "m.room.member",
      state_key: BOB,
      sender: ALICE,
      content: { membership: "invite" },
    });
    const bobLeave = ev({
      event_id: "$bl",
      type: "m.room.member",
      state_key: BOB,
      sender: BOB,
      content: { membership: "leave" },
    });
    expectAllowed(checkAuthEventsSelection(v10, invite, [create, pl, aliceJoin, jr, bobLeave]));
  });
  it("MSC4307: rejects auth events from another room", () => {
    const foreign = { ...pl, room_id: "!elsewhere:a" };
    expectDenied(checkAuthEventsSelection(v10, msg, [create, foreign]), /another room/);
  });
  it("v12 rejects the create event in auth_events and does not require it", () => {
    const v12 = version("12");
    const r12 = "!c12";
    const c12 = pdu({ event_id: "$c12", type: "m.room.create", state_key: "", sender: ALICE, content: {} });
    const j12 = pdu({
      event_id: "$j12",
      room_id: r12,
      type: "m.room.member",
      state_key: ALICE,
      sender: ALICE,
      content: { membership: "join" },
    });
    const m12 = pdu({ event_id: "$m12", room_id: r12, type: "m.room.message", sender: ALICE, content: {} });
    expectAllowed(checkAuthEventsSelection(v12, m12, [j12]));
    expectAllowed(checkAuthEventsSelection(v12, m12, []));
    expectDenied(checkAuthEventsSelection(v12, m12, [c12, j12]), /m.room.create/);
  });
  it("create events are decided by rule 1 alone", () => {
    expectAllowed(checkAuthEventsSelection(v10, create, []));
  });
});
