/** Spec-derived cases for auth rule 1 (`m.room.create`) in every room version. */
import { describe, it } from "vitest";
import { checkAuth } from "../../src/core/auth-rules.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { ALL_VERSIONS, expectAllowed, expectDenied, pdu, version } from "./auth-helpers.ts";

function createEvent(versionId: string, overrides: JsonObject = {}, content: JsonObject = {}) {
  const v = version(versionId);
  return pdu({
    event_id: "$create:a",
    type: "m.room.create",
    state_key: "",
    sender: "@alice:a",
    ...(v.roomIdFromCreateEvent ? {} : { room_id: "!room:a" }),
    content: {
      room_version: versionId,
      ...(v.implicitRoomCreator ? {} : { creator: "@alice:a" }),
      ...content,
    },
    ...overrides,
  });
}

const empty = new Map();

describe("m.room.create (rule 1)", () => {
  for (const id of ALL_VERSIONS) {
    const v = version(id);
    describe(`room v${id}`, () => {
      it("allows a well-formed create event with an empty auth state", () => {
        expectAllowed(checkAuth(v, createEvent(id), empty));
      });
      it("rejects prev_events", () => {
        expectDenied(checkAuth(v, createEvent(id, { prev_events: ["$x"] }), empty), /prev_events/);
      });
      it("rejects an unrecognised or non-string content.room_version", () => {
        expectDenied(checkAuth(v, createEvent(id, {}, { room_version: "999" }), empty), /room_version/);
        expectDenied(checkAuth(v, createEvent(id, {}, { room_version: 12 }), empty), /room_version/);
      });
      it("allows a create event without content.room_version (v1 rooms)", () => {
        const e = createEvent(id);
        delete e.content.room_version;
        expectAllowed(checkAuth(v, e, empty));
      });
      it("rejects a create event whose state_key is not empty", () => {
        expectDenied(checkAuth(v, createEvent(id, { state_key: "x" }), empty));
      });
    });
  }

  for (const id of ["1", "5", "10"]) {
    it(`v${id}: rejects a create event without content.creator`, () => {
      const e = createEvent(id);
      delete e.content.creator;
      expectDenied(checkAuth(version(id), e, empty), /creator/);
    });
  }
  for (const id of ["11", "12"]) {
    it(`v${id}: the creator is implicit, content.creator is not required`, () => {
      expectAllowed(checkAuth(version(id), createEvent(id), empty));
    });
  }

  for (const id of ["1", "6", "11"]) {
    it(`v${id}: rejects a room_id on another server than the sender`, () => {
      expectDenied(checkAuth(version(id), createEvent(id, { room_id: "!room:b" }), empty), /domain/);
    });
  }
  it("v12: rejects a create event that has a room_id", () => {
    expectDenied(checkAuth(version("12"), createEvent("12", { room_id: "!room:a" }), empty), /room_id/);
  });
  it("v12: a create event sent from any server needs no room_id domain check", () => {
    expectAllowed(checkAuth(version("12"), createEvent("12", { sender: "@bob:elsewhere" }), empty));
  });

  describe("v12 additional_creators (rule 1.4)", () => {
    const v12 = version("12");
    it("allows an array of valid user ids", () => {
      expectAllowed(
        checkAuth(v12, createEvent("12", {}, { additional_creators: ["@bob:b", "@carol:c"] }), empty),
      );
      expectAllowed(checkAuth(v12, createEvent("12", {}, { additional_creators: [] }), empty));
    });
    it("rejects a non-array", () => {
      expectDenied(
        checkAuth(v12, createEvent("12", {}, { additional_creators: "@bob:b" }), empty),
        /additional_creators/,
      );
    });
    it("rejects entries that are not valid user ids", () => {
      expectDenied(
        checkAuth(v12, createEvent("12", {}, { additional_creators: ["bob"] }), empty),
        /additional_creators/,
      );
      expectDenied(
        checkAuth(v12, createEvent("12", {}, { additional_creators: ["@bob"] }), empty),
        /additional_creators/,
      );
      expectDenied(
        checkAuth(v12, createEvent("12", {}, { additional_creators: [5] }), empty),
        /additional_creators/,
      );
    });
    it("v11 does not look at additional_creators", () => {
      expectAllowed(
        checkAuth(version("11"), createEvent("11", {}, { additional_creators: "nonsense" }), empty),
      );
    });
  });

  it("rejects a sender that is not a user id", () => {
    expectDenied(checkAuth(version("10"), createEvent("10", { sender: "alice" }), empty), /sender/);
  });
});
