import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomIdFromCreateEvent } from "../../src/core/hashes.ts";
import type { Session } from "../../src/accounts/session.ts";
import { getAliasRoomId } from "../../src/storage/rooms/room-aliases.ts";
import { getRoom } from "../../src/storage/rooms/rooms.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { roomEvents } from "../rooms/helpers.ts";
import { api, createRoomApi, startRoomsHomeserver } from "./rooms-support.ts";

let hs: TestHomeserver;
let alice: Session;
let bob: Session;
beforeAll(async () => {
  hs = await startRoomsHomeserver();
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
});
afterAll(() => hs?.destroy());

describe("POST /createRoom", () => {
  it("creates a room in the configured default version (12) and answers its id", async () => {
    const roomId = await createRoomApi(hs, alice);
    const events = await roomEvents(hs.ctx, roomId);
    expect(events[0]!.pdu.content.room_version).toBe("12");
    expect(roomId).toBe(roomIdFromCreateEvent(events[0]!.pdu));
    expect(events.map((e) => e.pdu.type)).toEqual([
      "m.room.create",
      "m.room.member",
      "m.room.power_levels",
      "m.room.join_rules",
      "m.room.history_visibility",
      "m.room.guest_access",
    ]);
    // No preset, private visibility: private_chat.
    expect(events[3]!.pdu.content).toEqual({ join_rule: "invite" });
  });

  it("visibility public: public_chat by default and published in the directory", async () => {
    const roomId = await createRoomApi(hs, alice, { visibility: "public", room_version: "11" });
    expect((await getRoom(hs.ctx.db, roomId))?.isPublic).toBe(true);
    const events = await roomEvents(hs.ctx, roomId);
    expect(events.find((e) => e.pdu.type === "m.room.join_rules")!.pdu.content).toEqual({
      join_rule: "public",
    });
    expect(events[0]!.pdu.room_id).toBe(roomId);
  });

  it("room_alias_name creates the alias and the canonical alias event; a taken one is M_ROOM_IN_USE", async () => {
    const roomId = await createRoomApi(hs, alice, { room_alias_name: "lounge", room_version: "10" });
    expect(await getAliasRoomId(hs.ctx.db, "#lounge:hearth.test")).toBe(roomId);
    const canonical = (await roomEvents(hs.ctx, roomId)).find((e) => e.pdu.type === "m.room.canonical_alias");
    expect(canonical?.pdu.content).toEqual({ alias: "#lounge:hearth.test" });
    const again = await api(hs, bob, "POST", "/createRoom", { room_alias_name: "lounge" });
    expect(again.status).toBe(400);
    expect(again.body.errcode).toBe("M_ROOM_IN_USE");
  });

  it("invalid alias names are 400 M_INVALID_PARAM", async () => {
    for (const name of ["", "a:b", "with space", "x".repeat(300)]) {
      const res = await api(hs, alice, "POST", "/createRoom", { room_alias_name: name });
      expect(res.status, name).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
  });

  it("unknown or non-creatable room versions are 400 M_UNSUPPORTED_ROOM_VERSION", async () => {
    for (const room_version of ["99", "1", "9", "org.example.custom"]) {
      const res = await api(hs, alice, "POST", "/createRoom", { room_version });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");
    }
  });

  it("invite and is_direct: invite events with is_direct, visible to the invitee as an invite", async () => {
    const roomId = await createRoomApi(hs, alice, {
      invite: [bob.userId],
      is_direct: true,
      preset: "trusted_private_chat",
    });
    const invite = (await roomEvents(hs.ctx, roomId)).at(-1)!;
    expect(invite.pdu.state_key).toBe(bob.userId);
    expect(invite.pdu.content).toEqual({ membership: "invite", is_direct: true });
    const rows = await hs.ctx.db
      .selectFrom("current_memberships")
      .selectAll()
      .where("room_id", "=", roomId)
      .execute();
    expect(Object.fromEntries(rows.map((r) => [r.user_id, r.membership]))).toEqual({
      [alice.userId]: "join",
      [bob.userId]: "invite",
    });
  });

  it("rejects malformed bodies with 400s, never a 500", async () => {
    const cases: Array<[unknown, string]> = [
      ["not json", "M_NOT_JSON"],
      ["[]", "M_BAD_JSON"],
      [{ visibility: 3 }, "M_BAD_JSON"],
      [{ visibility: "secret" }, "M_INVALID_PARAM"],
      [{ preset: "party" }, "M_INVALID_PARAM"],
      [{ name: ["x"] }, "M_BAD_JSON"],
      [{ invite: "@bob:hearth.test" }, "M_BAD_JSON"],
      [{ invite: ["bob"] }, "M_INVALID_PARAM"],
      [{ invite: [7] }, "M_BAD_JSON"],
      [{ initial_state: [{ type: "m.room.topic" }] }, "M_BAD_JSON"],
      [{ initial_state: {} }, "M_BAD_JSON"],
      [{ creation_content: "x" }, "M_BAD_JSON"],
      [{ power_level_content_override: [] }, "M_BAD_JSON"],
      [{ is_direct: "yes" }, "M_BAD_JSON"],
      [{ room_version: 12 }, "M_BAD_JSON"],
      [{ initial_state: [{ type: "m.room.topic", content: { topic: "x", n: 1.5 } }] }, "M_BAD_JSON"],
      ['{"creation_content": {"x": 1.0}}', "M_BAD_JSON"],
      [
        { power_level_content_override: { users: {} }, name: "locked out", room_version: "11" },
        "M_INVALID_ROOM_STATE",
      ],
    ];
    for (const [body, errcode] of cases) {
      const res = await api(hs, alice, "POST", "/createRoom", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode, JSON.stringify(body)).toBe(errcode);
    }
  });

  it("needs an access token", async () => {
    const res = await api(hs, undefined, "POST", "/createRoom", {});
    expect(res.status).toBe(401);
  });

  it("is served under r0 too", async () => {
    const res = await api(hs, alice, "POST", "/_matrix/client/r0/createRoom", {});
    expect(res.status).toBe(200);
    expect(res.body.room_id).toMatch(/^!/);
  });
});
