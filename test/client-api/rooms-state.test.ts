import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { updateMembership } from "../../src/rooms/membership.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { api, createRoomApi, enc, startRoomsHomeserver } from "./rooms-support.ts";

let hs: TestHomeserver;
let alice: Session;
let bob: Session;
let carol: Session;
let roomId: string;

beforeAll(async () => {
  hs = await startRoomsHomeserver();
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
  carol = await createTestUser(hs, "carol");
  roomId = await createRoomApi(hs, alice, { preset: "public_chat", name: "Original" });
  await updateMembership(hs.ctx, { roomId, sender: bob.userId, target: bob.userId, action: "join" });
});
afterAll(() => hs?.destroy());

const statePath = (room: string, type: string, stateKey?: string) =>
  `/rooms/${enc(room)}/state/${enc(type)}${stateKey === undefined ? "" : `/${enc(stateKey)}`}`;

describe("PUT /rooms/{roomId}/state/{eventType}/{stateKey}", () => {
  it("sets state under every spelling of the empty state key", async () => {
    for (const [i, path] of [
      statePath(roomId, "m.room.topic"),
      statePath(roomId, "m.room.topic", ""),
    ].entries()) {
      const res = await api(hs, alice, "PUT", path, { topic: `topic ${i}` });
      expect(res.status).toBe(200);
      expect(res.body.event_id).toMatch(/^\$/);
      expect((await api(hs, alice, "GET", statePath(roomId, "m.room.topic"))).body).toEqual({
        topic: `topic ${i}`,
      });
    }
  });

  it("answers an unchanged write by the same sender with the existing event", async () => {
    const first = await api(hs, alice, "PUT", statePath(roomId, "org.example.setting", "k"), { on: true });
    const again = await api(hs, alice, "PUT", statePath(roomId, "org.example.setting", "k"), { on: true });
    expect(again.body.event_id).toBe(first.body.event_id);
    const changed = await api(hs, alice, "PUT", statePath(roomId, "org.example.setting", "k"), { on: false });
    expect(changed.body.event_id).not.toBe(first.body.event_id);
  });

  it("enforces state power levels and the @-state-key rule with 403", async () => {
    const name = await api(hs, bob, "PUT", statePath(roomId, "m.room.name", ""), { name: "bob's" });
    expect(name.status).toBe(403);
    expect(name.body.errcode).toBe("M_FORBIDDEN");
    const pl = (await api(hs, alice, "GET", statePath(roomId, "m.room.power_levels"))).body;
    const raised = await api(hs, bob, "PUT", statePath(roomId, "m.room.power_levels", ""), {
      ...pl,
      users: { ...pl.users, [bob.userId]: 100 },
    });
    expect(raised.status).toBe(403);
    // Alice (creator, v12) grants bob 50: now he may set the name.
    const granted = await api(hs, alice, "PUT", statePath(roomId, "m.room.power_levels", ""), {
      ...pl,
      users: { ...pl.users, [bob.userId]: 50 },
    });
    expect(granted.status).toBe(200);
    expect((await api(hs, bob, "PUT", statePath(roomId, "m.room.name", ""), { name: "bob's" })).status).toBe(
      200,
    );
    const othersKey = await api(hs, bob, "PUT", statePath(roomId, "org.example.profile", alice.userId), {});
    expect(othersKey.status).toBe(403);
    expect(othersKey.body.error).toMatch(/state_key/);
    const ownKey = await api(hs, bob, "PUT", statePath(roomId, "org.example.profile", bob.userId), {});
    expect(ownKey.status).toBe(200);
  });

  it("m.room.member through the state API: per-room display names", async () => {
    const res = await api(hs, bob, "PUT", statePath(roomId, "m.room.member", bob.userId), {
      membership: "join",
      displayname: "Bobby",
    });
    expect(res.status).toBe(200);
    const members = await api(hs, alice, "GET", statePath(roomId, "m.room.member", bob.userId));
    expect(members.body).toEqual({ membership: "join", displayname: "Bobby" });
    const bad = await api(hs, bob, "PUT", statePath(roomId, "m.room.member", "not-a-user"), {
      membership: "join",
    });
    expect(bad.status).toBe(400);
  });

  it("m.room.canonical_alias: aliases must be valid and point to this room", async () => {
    await createRoomApi(hs, alice, { room_alias_name: "elsewhere" });
    const own = await createRoomApi(hs, alice, { room_alias_name: "here" });
    const bad = await api(hs, alice, "PUT", statePath(own, "m.room.canonical_alias"), {
      alias: "#elsewhere:hearth.test",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe("M_BAD_ALIAS");
    const unknown = await api(hs, alice, "PUT", statePath(own, "m.room.canonical_alias"), {
      alias: "#nothing:hearth.test",
    });
    expect(unknown.body.errcode).toBe("M_BAD_ALIAS");
    const invalid = await api(hs, alice, "PUT", statePath(own, "m.room.canonical_alias"), {
      alt_aliases: ["nohash"],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errcode).toBe("M_INVALID_PARAM");
    const ok = await api(hs, alice, "PUT", statePath(own, "m.room.canonical_alias"), {
      alias: "#here:hearth.test",
      alt_aliases: ["#there:other.example"],
    });
    expect(ok.status).toBe(200);
  });

  it("bad input: floats, wrong types, unknown rooms", async () => {
    const float = await api(hs, alice, "PUT", statePath(roomId, "m.room.topic"), '{"topic": "x", "n": 0.5}');
    expect(float.status).toBe(400);
    expect(float.body.errcode).toBe("M_BAD_JSON");
    const array = await api(hs, alice, "PUT", statePath(roomId, "m.room.topic"), "[]");
    expect(array.body.errcode).toBe("M_BAD_JSON");
    const unknown = await api(hs, alice, "PUT", statePath("!missing:hearth.test", "m.room.topic"), {
      topic: "x",
    });
    expect(unknown.status).toBe(404);
    const pl = await api(hs, alice, "PUT", statePath(roomId, "m.room.power_levels"), {
      users: { [alice.userId]: "100" },
    });
    expect(pl.status).toBe(403);
  });
});

describe("GET state", () => {
  it("returns content by default and the client event with ?format=event", async () => {
    const content = await api(hs, alice, "GET", statePath(roomId, "m.room.create"));
    expect(content.body.room_version).toBe("12");
    const event = await api(hs, alice, "GET", `${statePath(roomId, "m.room.create", "")}?format=event`);
    expect(event.body).toMatchObject({
      type: "m.room.create",
      state_key: "",
      sender: alice.userId,
      room_id: roomId,
    });
    expect(event.body.event_id).toMatch(/^\$/);
    expect(event.body).not.toHaveProperty("hashes");
    const badFormat = await api(hs, alice, "GET", `${statePath(roomId, "m.room.create")}?format=xml`);
    expect(badFormat.status).toBe(400);
  });

  it("missing state is 404 M_NOT_FOUND", async () => {
    const res = await api(hs, alice, "GET", statePath(roomId, "org.example.none", "x"));
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_NOT_FOUND");
  });

  it("non-members get 403, unknown rooms too", async () => {
    for (const room of [roomId, "!unknown:hearth.test"]) {
      expect((await api(hs, carol, "GET", statePath(room, "m.room.name"))).status).toBe(403);
      expect((await api(hs, carol, "GET", `/rooms/${enc(room)}/state`)).status).toBe(403);
    }
  });

  it("GET /state lists the whole current state as client events", async () => {
    const res = await api(hs, alice, "GET", `/rooms/${enc(roomId)}/state`);
    expect(res.status).toBe(200);
    const keys = (res.body as Array<{ type: string; state_key: string }>).map(
      (e) => `${e.type}|${e.state_key}`,
    );
    expect(keys).toEqual(
      expect.arrayContaining(["m.room.create|", "m.room.name|", `m.room.member|${bob.userId}`]),
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("a user who left sees the state as of their leaving", async () => {
    const room = await createRoomApi(hs, alice, { preset: "public_chat", name: "Before" });
    await updateMembership(hs.ctx, {
      roomId: room,
      sender: carol.userId,
      target: carol.userId,
      action: "join",
    });
    await updateMembership(hs.ctx, {
      roomId: room,
      sender: carol.userId,
      target: carol.userId,
      action: "leave",
    });
    await api(hs, alice, "PUT", statePath(room, "m.room.name"), { name: "After" });
    expect((await api(hs, carol, "GET", statePath(room, "m.room.name"))).body).toEqual({ name: "Before" });
    expect((await api(hs, alice, "GET", statePath(room, "m.room.name"))).body).toEqual({ name: "After" });
    const all = await api(hs, carol, "GET", `/rooms/${enc(room)}/state`);
    const name = (all.body as Array<{ type: string; content: { name?: string } }>).find(
      (e) => e.type === "m.room.name",
    );
    expect(name?.content).toEqual({ name: "Before" });
  });

  it("world_readable rooms show their state to anyone", async () => {
    const room = await createRoomApi(hs, alice, {
      initial_state: [
        { type: "m.room.history_visibility", content: { history_visibility: "world_readable" } },
      ],
      name: "Open book",
    });
    expect((await api(hs, carol, "GET", statePath(room, "m.room.name"))).body).toEqual({ name: "Open book" });
  });
});
