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
let admin: Session;
let roomId: string;

beforeAll(async () => {
  hs = await startReadTestHomeserver();
  rooms = roomDriver(hs);
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
  admin = await createTestUser(hs, "admin", { isAdmin: true });
  roomId = await rooms.createRoom(alice, { preset: "public_chat", name: "Main" });
  await rooms.member(bob, roomId, "join");
});
afterAll(() => hs?.destroy());

const aliasPath = (alias: string) => `/directory/room/${enc(alias)}`;

describe("room aliases", () => {
  it("create, resolve (no auth needed), list, delete", async () => {
    const put = await call(hs, "PUT", aliasPath("#main:hearth.test"), bob, { room_id: roomId });
    expect(put).toEqual({ status: 200, body: {} });
    const got = await call(hs, "GET", aliasPath("#main:hearth.test"));
    expect(got.body).toEqual({ room_id: roomId, servers: ["hearth.test"] });
    const r0 = await call(hs, "GET", `/_matrix/client/r0/directory/room/${enc("#main:hearth.test")}`);
    expect(r0.body.room_id).toBe(roomId);
    const list = await call(hs, "GET", `/rooms/${enc(roomId)}/aliases`, alice);
    expect(list.body).toEqual({ aliases: ["#main:hearth.test"] });
    const del = await call(hs, "DELETE", aliasPath("#main:hearth.test"), bob);
    expect(del).toEqual({ status: 200, body: {} });
    expect((await call(hs, "GET", aliasPath("#main:hearth.test"))).status).toBe(404);
  });

  it("deleting an alias takes it out of m.room.canonical_alias (alias and alt_aliases)", async () => {
    for (const a of ["#one:hearth.test", "#two:hearth.test", "#three:hearth.test"]) {
      expect((await call(hs, "PUT", aliasPath(a), alice, { room_id: roomId })).status).toBe(200);
    }
    const canonical = `/rooms/${enc(roomId)}/state/m.room.canonical_alias/`;
    const set = await call(hs, "PUT", canonical, alice, {
      alias: "#one:hearth.test",
      alt_aliases: ["#two:hearth.test", "#three:hearth.test"],
    });
    expect(set.status).toBe(200);
    expect((await call(hs, "DELETE", aliasPath("#two:hearth.test"), alice)).status).toBe(200);
    expect((await call(hs, "GET", canonical, alice)).body).toEqual({
      alias: "#one:hearth.test",
      alt_aliases: ["#three:hearth.test"],
    });
    expect((await call(hs, "DELETE", aliasPath("#one:hearth.test"), alice)).status).toBe(200);
    expect((await call(hs, "GET", canonical, alice)).body).toEqual({ alt_aliases: ["#three:hearth.test"] });
    // bob (no power over the event) may delete the alias he made; the event keeps it.
    expect((await call(hs, "PUT", aliasPath("#bobs:hearth.test"), bob, { room_id: roomId })).status).toBe(
      200,
    );
    await call(hs, "PUT", canonical, alice, { alt_aliases: ["#three:hearth.test", "#bobs:hearth.test"] });
    expect((await call(hs, "DELETE", aliasPath("#bobs:hearth.test"), bob)).status).toBe(200);
    expect((await call(hs, "GET", canonical, alice)).body).toEqual({
      alt_aliases: ["#three:hearth.test", "#bobs:hearth.test"],
    });
    await call(hs, "DELETE", aliasPath("#three:hearth.test"), alice);
  });

  it("a taken alias is 409 M_UNKNOWN; unknown ones are 404 M_NOT_FOUND", async () => {
    await call(hs, "PUT", aliasPath("#taken:hearth.test"), alice, { room_id: roomId });
    const again = await call(hs, "PUT", aliasPath("#taken:hearth.test"), alice, { room_id: roomId });
    expect(again.status).toBe(409);
    expect(again.body.errcode).toBe("M_UNKNOWN");
    const missing = await call(hs, "GET", aliasPath("#never:hearth.test"));
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
    expect((await call(hs, "DELETE", aliasPath("#never:hearth.test"), alice)).status).toBe(404);
    // Remote aliases are asked of their server (query/directory), which tests cannot reach.
    expect((await call(hs, "GET", aliasPath("#x:elsewhere.example"))).status).toBe(502);
  });

  it("rejects malformed aliases, other servers' aliases and bad bodies with 400", async () => {
    for (const alias of [
      "nohash:hearth.test",
      "#nocolon",
      "#bad:not a server",
      "#a:",
      `#${"x".repeat(260)}:hearth.test`,
    ]) {
      const res = await call(hs, "PUT", aliasPath(alias), alice, { room_id: roomId });
      expect(res.status, alias).toBe(400);
      expect(res.body.errcode, alias).toBe("M_INVALID_PARAM");
      expect((await call(hs, "GET", aliasPath(alias))).status, alias).toBe(400);
    }
    const remote = await call(hs, "PUT", aliasPath("#mine:elsewhere.example"), alice, { room_id: roomId });
    expect(remote.status).toBe(400);
    expect(remote.body.errcode).toBe("M_INVALID_PARAM");
    expect((await call(hs, "PUT", aliasPath("#b1:hearth.test"), alice, {})).body.errcode).toBe(
      "M_MISSING_PARAM",
    );
    expect((await call(hs, "PUT", aliasPath("#b2:hearth.test"), alice, { room_id: 5 })).body.errcode).toBe(
      "M_BAD_JSON",
    );
    expect((await call(hs, "PUT", aliasPath("#b3:hearth.test"), alice, "not json")).body.errcode).toBe(
      "M_NOT_JSON",
    );
    expect(
      (await call(hs, "PUT", aliasPath("#b4:hearth.test"), alice, { room_id: "!nope:hearth.test" })).status,
    ).toBe(404);
    expect((await call(hs, "PUT", aliasPath("#b5:hearth.test"), undefined, { room_id: roomId })).status).toBe(
      401,
    );
  });

  it("only members create; the creator, moderators or admins delete", async () => {
    const carol = await createTestUser(hs, "carol");
    const denied = await call(hs, "PUT", aliasPath("#carols:hearth.test"), carol, { room_id: roomId });
    expect(denied.status).toBe(403);
    await rooms.member(carol, roomId, "join");
    expect((await call(hs, "PUT", aliasPath("#carols:hearth.test"), carol, { room_id: roomId })).status).toBe(
      200,
    );
    expect(
      (await call(hs, "PUT", aliasPath("#carols2:hearth.test"), carol, { room_id: roomId })).status,
    ).toBe(200);
    expect(
      (await call(hs, "PUT", aliasPath("#carols3:hearth.test"), carol, { room_id: roomId })).status,
    ).toBe(200);
    // Bob is a plain member: not his alias, no power over canonical_alias.
    const bobDelete = await call(hs, "DELETE", aliasPath("#carols:hearth.test"), bob);
    expect(bobDelete.status).toBe(403);
    expect(bobDelete.body.errcode).toBe("M_FORBIDDEN");
    // Alice created the room (v12 creator: unlimited power).
    expect((await call(hs, "DELETE", aliasPath("#carols:hearth.test"), alice)).status).toBe(200);
    expect((await call(hs, "DELETE", aliasPath("#carols2:hearth.test"), admin)).status).toBe(200);
    expect((await call(hs, "DELETE", aliasPath("#carols3:hearth.test"), carol)).status).toBe(200);
  });

  it("GET /rooms/{roomId}/aliases: members only unless world_readable", async () => {
    const outsider = await createTestUser(hs, "outsider");
    const res = await call(hs, "GET", `/rooms/${enc(roomId)}/aliases`, outsider);
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    const open = await rooms.createRoom(alice);
    await rooms.state(alice, open, "m.room.history_visibility", "", {
      history_visibility: "world_readable",
    });
    expect((await call(hs, "GET", `/rooms/${enc(open)}/aliases`, outsider)).body).toEqual({ aliases: [] });
    expect((await call(hs, "GET", `/rooms/${enc("!unknown:hearth.test")}/aliases`, outsider)).status).toBe(
      403,
    );
    expect((await call(hs, "GET", `/rooms/bad/aliases`, outsider)).status).toBe(400);
  });

  it("createRoom's room_alias_name is resolvable", async () => {
    const withAlias = await rooms.createRoom(alice, { alias: "#created:hearth.test" });
    expect((await call(hs, "GET", aliasPath("#created:hearth.test"))).body.room_id).toBe(withAlias);
  });
});

describe("published room directory", () => {
  it("GET/PUT /directory/list/room: visibility, permission, unknown rooms", async () => {
    const room = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.member(bob, room, "join");
    const path = `/directory/list/room/${enc(room)}`;
    expect((await call(hs, "GET", path)).body).toEqual({ visibility: "private" });
    const denied = await call(hs, "PUT", path, bob, { visibility: "public" });
    expect(denied.status).toBe(403);
    expect((await call(hs, "PUT", path, alice, { visibility: "public" })).status).toBe(200);
    expect((await call(hs, "GET", path)).body).toEqual({ visibility: "public" });
    expect((await call(hs, "PUT", path, admin, {})).status).toBe(200); // defaults to public
    expect((await call(hs, "PUT", path, alice, { visibility: "private" })).status).toBe(200);
    expect((await call(hs, "GET", path)).body).toEqual({ visibility: "private" });
    expect((await call(hs, "PUT", path, alice, { visibility: "hidden" })).body.errcode).toBe(
      "M_INVALID_PARAM",
    );
    const unknown = `/directory/list/room/${enc("!unknown:hearth.test")}`;
    expect((await call(hs, "GET", unknown)).status).toBe(404);
    expect((await call(hs, "PUT", unknown, alice, { visibility: "public" })).status).toBe(404);
  });

  it("publicRooms: summaries, largest first, paging both ways, search and room types", async () => {
    const members = [
      await createTestUser(hs, "m1"),
      await createTestUser(hs, "m2"),
      await createTestUser(hs, "m3"),
    ];
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const room = await rooms.createRoom(alice, {
        preset: "public_chat",
        isPublic: true,
        name: `Public ${i}`,
        topic: i === 2 ? "Gardening tips" : undefined,
      });
      for (const m of members.slice(0, Math.min(i, 3))) await rooms.member(m, room, "join");
      made.push(room);
    }
    await call(hs, "PUT", aliasPath("#public4:hearth.test"), alice, { room_id: made[4] });
    await rooms.state(alice, made[4]!, "m.room.canonical_alias", "", {
      alias: "#public4:hearth.test",
    });

    const all = await call(hs, "GET", "/publicRooms");
    expect(all.status).toBe(200);
    expect(all.body.total_room_count_estimate).toBe(5);
    const counts = all.body.chunk.map((r: { num_joined_members: number }) => r.num_joined_members);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const four = all.body.chunk.find((r: { room_id: string }) => r.room_id === made[4]);
    expect(four).toMatchObject({
      name: "Public 4",
      canonical_alias: "#public4:hearth.test",
      num_joined_members: 4,
      world_readable: false,
      guest_can_join: false,
      join_rule: "public",
    });

    const seen: string[] = [];
    let since: string | undefined;
    const pages: { chunk: { room_id: string }[]; prev_batch?: string; next_batch?: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await call(hs, "GET", `/publicRooms?limit=2${since ? `&since=${enc(since)}` : ""}`);
      pages.push(res.body);
      seen.push(...res.body.chunk.map((r: { room_id: string }) => r.room_id));
      if (!res.body.next_batch) break;
      since = res.body.next_batch;
    }
    expect(seen).toEqual(all.body.chunk.map((r: { room_id: string }) => r.room_id));
    expect(pages[0]!.prev_batch).toBeUndefined();
    const back = await call(hs, "GET", `/publicRooms?limit=2&since=${enc(pages[2]!.prev_batch!)}`);
    expect(back.body.chunk).toEqual(pages[1]!.chunk);

    const search = await call(hs, "POST", "/publicRooms", alice, {
      filter: { generic_search_term: "garden" },
    });
    expect(search.body.chunk.map((r: { room_id: string }) => r.room_id)).toEqual([made[2]]);
    expect(search.body.chunk[0].topic).toBe("Gardening tips");
    const byAlias = await call(hs, "POST", "/publicRooms", alice, {
      filter: { generic_search_term: "PUBLIC4" },
    });
    expect(byAlias.body.chunk.map((r: { room_id: string }) => r.room_id)).toEqual([made[4]]);
    const spaces = await call(hs, "POST", "/publicRooms", alice, { filter: { room_types: ["m.space"] } });
    expect(spaces.body.chunk).toEqual([]);
    const plain = await call(hs, "POST", "/publicRooms", alice, { limit: 1, filter: { room_types: [null] } });
    expect(plain.body.chunk).toHaveLength(1);
    expect(typeof plain.body.next_batch).toBe("string");
  });

  it("publicRooms rejects bad input", async () => {
    expect((await call(hs, "GET", "/publicRooms?limit=x")).status).toBe(400);
    expect((await call(hs, "GET", "/publicRooms?since=garbage")).status).toBe(400);
    expect((await call(hs, "GET", "/publicRooms?server=elsewhere.example")).status).toBe(404);
    expect((await call(hs, "GET", "/publicRooms?server=hearth.test")).status).toBe(200);
    expect((await call(hs, "POST", "/publicRooms", undefined, {})).status).toBe(401);
    for (const body of [
      { limit: "3" },
      { limit: -1 },
      { since: 4 },
      { filter: [] },
      { filter: { generic_search_term: 1 } },
      { filter: { room_types: "m.space" } },
    ]) {
      const res = await call(hs, "POST", "/publicRooms", alice, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call(hs, "POST", "/publicRooms", alice, { since: "garbage" })).status).toBe(400);
  });
});
