import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { roomDriver, type RoomDriver, startReadTestHomeserver } from "./room-driver.ts";
import { call, enc } from "./room-read-support.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  hs = await startReadTestHomeserver();
  rooms = roomDriver(hs);
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
});
afterAll(() => hs?.destroy());

const profile = (userId: string, key?: string) => `/profile/${enc(userId)}${key ? `/${enc(key)}` : ""}`;

describe("profiles", () => {
  it("an empty profile for a user who set nothing; 404 for unknown users, 502 for unreachable servers", async () => {
    expect(await call(hs, "GET", profile(bob.userId))).toEqual({ status: 200, body: {} });
    const unknown = await call(hs, "GET", profile("@ghost:hearth.test"));
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    // Remote profiles are asked of the user's server, which tests cannot reach.
    expect((await call(hs, "GET", profile("@someone:elsewhere.example"))).status).toBe(502);
    expect((await call(hs, "GET", profile(bob.userId, "displayname"))).status).toBe(404);
    expect((await call(hs, "GET", profile("not-a-user"))).status).toBe(400);
  });

  it("set, read and delete displayname, avatar_url, m.tz and custom fields (v3 and r0)", async () => {
    expect(
      (await call(hs, "PUT", profile(alice.userId, "displayname"), alice, { displayname: "Alice" })).status,
    ).toBe(200);
    await call(hs, "PUT", profile(alice.userId, "avatar_url"), alice, {
      avatar_url: "mxc://hearth.test/abc",
    });
    await call(hs, "PUT", profile(alice.userId, "m.tz"), alice, { "m.tz": "Europe/London" });
    await call(hs, "PUT", profile(alice.userId, "org.example.pets"), alice, {
      "org.example.pets": ["cat", 2],
    });
    expect((await call(hs, "GET", profile(alice.userId))).body).toEqual({
      displayname: "Alice",
      avatar_url: "mxc://hearth.test/abc",
      "m.tz": "Europe/London",
      "org.example.pets": ["cat", 2],
    });
    expect(
      (await call(hs, "GET", `/_matrix/client/r0/profile/${enc(alice.userId)}/displayname`)).body,
    ).toEqual({
      displayname: "Alice",
    });
    expect((await call(hs, "DELETE", profile(alice.userId, "org.example.pets"), alice)).status).toBe(200);
    expect((await call(hs, "DELETE", profile(alice.userId, "org.example.pets"), alice)).status).toBe(200);
    expect((await call(hs, "GET", profile(alice.userId, "org.example.pets"))).status).toBe(404);
    // An empty avatar_url clears it.
    await call(hs, "PUT", profile(alice.userId, "avatar_url"), alice, { avatar_url: "" });
    expect((await call(hs, "GET", profile(alice.userId))).body.avatar_url).toBeUndefined();
  });

  it("only the user may change their profile", async () => {
    const res = await call(hs, "PUT", profile(alice.userId, "displayname"), bob, { displayname: "Mallory" });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    expect((await call(hs, "DELETE", profile(alice.userId, "displayname"), bob)).status).toBe(403);
    expect(
      (await call(hs, "PUT", profile(alice.userId, "displayname"), undefined, { displayname: "x" })).status,
    ).toBe(401);
  });

  it("validates keys, values and sizes", async () => {
    const put = (key: string, body: unknown) => call(hs, "PUT", profile(bob.userId, key), bob, body);
    expect((await put("displayname", { displayname: 5 })).body.errcode).toBe("M_BAD_JSON");
    expect((await put("displayname", { displayname: null })).body.errcode).toBe("M_BAD_JSON");
    expect((await put("displayname", {})).body.errcode).toBe("M_MISSING_PARAM");
    expect((await put("displayname", "nope")).body.errcode).toBe("M_NOT_JSON");
    expect((await put("displayname", { displayname: "x".repeat(300) })).status).toBe(400);
    expect((await put("avatar_url", { avatar_url: "https://example.com/a.png" })).body.errcode).toBe(
      "M_INVALID_PARAM",
    );
    expect((await put("m.tz", { "m.tz": 1 })).body.errcode).toBe("M_BAD_JSON");
    expect((await put("Not-Namespaced", { "Not-Namespaced": 1 })).body.errcode).toBe("M_INVALID_PARAM");
    expect((await put("nodots", { nodots: 1 })).body.errcode).toBe("M_INVALID_PARAM");
    const longKey = `org.${"a".repeat(260)}`;
    expect((await put(longKey, { [longKey]: 1 })).body.errcode).toBe("M_KEY_TOO_LARGE");
    expect((await put("org.example.big", { "org.example.big": "x".repeat(70_000) })).body.errcode).toBe(
      "M_PROFILE_TOO_LARGE",
    );
    for (let i = 0; i < 4; i++) {
      expect((await put(`org.example.f${i}`, { [`org.example.f${i}`]: "y".repeat(15_000) })).status).toBe(
        200,
      );
    }
    expect((await put("org.example.f4", { "org.example.f4": "y".repeat(15_000) })).body.errcode).toBe(
      "M_PROFILE_TOO_LARGE",
    );
    expect((await call(hs, "GET", profile(bob.userId, "Bad-Key"))).status).toBe(400);
  });

  it("a new displayname or avatar goes out as a new member event in each joined room", async () => {
    const carol = await createTestUser(hs, "carol");
    const r1 = await rooms.createRoom(carol);
    const r2 = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.member(carol, r2, "join");
    const left = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.member(carol, left, "join");
    await rooms.member(carol, left, "leave");

    await call(hs, "PUT", profile(carol.userId, "displayname"), carol, { displayname: "Carol C" });
    await call(hs, "PUT", profile(carol.userId, "avatar_url"), carol, {
      avatar_url: "mxc://hearth.test/carol",
    });
    for (const room of [r1, r2]) {
      const state = await call(hs, "GET", `/rooms/${enc(room)}/messages?dir=b&limit=1`, carol);
      expect(state.body.chunk[0]).toMatchObject({
        type: "m.room.member",
        state_key: carol.userId,
        content: { membership: "join", displayname: "Carol C", avatar_url: "mxc://hearth.test/carol" },
      });
      expect(state.body.chunk[0].unsigned.prev_content.displayname).toBe("Carol C");
    }
    const leftPage = await call(hs, "GET", `/rooms/${enc(left)}/messages?dir=b&limit=1`, alice);
    expect(leftPage.body.chunk[0].content.membership).toBe("leave");

    // Joining later carries the profile too; removing the name removes it from member events.
    const r3 = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.member(carol, r3, "join");
    const join = await call(hs, "GET", `/rooms/${enc(r3)}/messages?dir=b&limit=1`, carol);
    expect(join.body.chunk[0].content.displayname).toBe("Carol C");
    await call(hs, "DELETE", profile(carol.userId, "displayname"), carol);
    const cleared = await call(hs, "GET", `/rooms/${enc(r3)}/messages?dir=b&limit=1`, carol);
    expect(cleared.body.chunk[0].content.displayname).toBeUndefined();
    expect(cleared.body.chunk[0].content.avatar_url).toBe("mxc://hearth.test/carol");
  });
});

describe("POST /user_directory/search", () => {
  it("finds users sharing a room or in public rooms by id or display name, honours limit", async () => {
    const searcher = await createTestUser(hs, "searcher");
    const friend = await createTestUser(hs, "friendly");
    const stranger = await createTestUser(hs, "friendlystranger");
    const lonely = await createTestUser(hs, "friendlonely");
    const privateRoom = await rooms.createRoom(searcher);
    await rooms.member(searcher, privateRoom, "invite", friend.userId);
    await rooms.member(friend, privateRoom, "join");
    const publicRoom = await rooms.createRoom(stranger, { preset: "public_chat" });
    await call(hs, "PUT", profile(stranger.userId, "displayname"), stranger, { displayname: "Zed Friend" });
    // A private room the searcher is not in: its members stay hidden.
    await rooms.createRoom(lonely);
    expect(publicRoom).toBeTruthy();

    const search = (body: unknown) => call(hs, "POST", "/user_directory/search", searcher, body);
    const res = await search({ search_term: "friend" });
    expect(res.status).toBe(200);
    const ids = res.body.results.map((r: { user_id: string }) => r.user_id);
    expect(ids.sort()).toEqual([friend.userId, stranger.userId].sort());
    expect(res.body.limited).toBe(false);
    const zed = res.body.results.find((r: { user_id: string }) => r.user_id === stranger.userId);
    expect(zed.display_name).toBe("Zed Friend");

    const byName = await search({ search_term: "zed fri" });
    expect(byName.body.results.map((r: { user_id: string }) => r.user_id)).toEqual([stranger.userId]);
    const limited = await search({ search_term: "friend", limit: 1 });
    expect(limited.body.results).toHaveLength(1);
    expect(limited.body.limited).toBe(true);
    expect((await search({ search_term: "%" })).body.results).toEqual([]);
    expect((await search({ search_term: "   " })).body).toEqual({ results: [], limited: false });
  });

  it("rejects bad bodies", async () => {
    const s = (body: unknown) => call(hs, "POST", "/user_directory/search", alice, body);
    expect((await s({})).body.errcode).toBe("M_MISSING_PARAM");
    expect((await s({ search_term: 3 })).body.errcode).toBe("M_BAD_JSON");
    expect((await s({ search_term: "a", limit: "5" })).body.errcode).toBe("M_BAD_JSON");
    expect((await s({ search_term: "a", limit: -1 })).body.errcode).toBe("M_BAD_JSON");
    expect((await s("x")).body.errcode).toBe("M_NOT_JSON");
    expect((await call(hs, "POST", "/user_directory/search", undefined, { search_term: "a" })).status).toBe(
      401,
    );
  });
});
