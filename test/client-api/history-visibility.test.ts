import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { roomDriver, text, type RoomDriver, startReadTestHomeserver } from "./room-driver.ts";
import { call, enc } from "./room-read-support.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let alice: Session;
let n = 0;

beforeAll(async () => {
  hs = await startReadTestHomeserver();
  rooms = roomDriver(hs);
  alice = await createTestUser(hs, "alice");
});
afterAll(() => hs?.destroy());

async function newUser(): Promise<Session> {
  return createTestUser(hs, `user${n++}`);
}

/** Message bodies the user gets from paging back through the whole room. */
async function visibleBodies(session: Session, roomId: string): Promise<string[]> {
  const bodies: string[] = [];
  let from: string | undefined;
  for (let i = 0; i < 50; i++) {
    const res = await call(
      hs,
      "GET",
      `/rooms/${enc(roomId)}/messages?dir=b&limit=4${from ? `&from=${enc(from)}` : ""}`,
      session,
    );
    expect(res.status).toBe(200);
    for (const ev of res.body.chunk) if (ev.type === "m.room.message") bodies.unshift(ev.content.body);
    if (!res.body.end) return bodies;
    from = res.body.end;
  }
  throw new Error("no end");
}

async function canGet(session: Session, roomId: string, eventId: string): Promise<boolean> {
  const res = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(eventId)}`, session);
  expect([200, 404]).toContain(res.status);
  return res.status === 200;
}

/** A room with the given visibility: "before" sent before the invite, "invited" while invited, "joined" after joining. */
async function scenario(visibility: string): Promise<{ roomId: string; bob: Session; ids: string[] }> {
  const bob = await newUser();
  const roomId = await rooms.createRoom(alice);
  await rooms.state(alice, roomId, "m.room.history_visibility", "", {
    history_visibility: visibility,
  });
  const ids = [await rooms.send(alice, roomId, text("before"))];
  await rooms.member(alice, roomId, "invite", bob.userId);
  ids.push(await rooms.send(alice, roomId, text("invited")));
  await rooms.member(bob, roomId, "join");
  ids.push(await rooms.send(alice, roomId, text("joined")));
  return { roomId, bob, ids };
}

describe("history visibility through /messages and /event", () => {
  it("shared: a joined user sees everything, including what was sent before they arrived", async () => {
    const { roomId, bob, ids } = await scenario("shared");
    expect(await visibleBodies(bob, roomId)).toEqual(["before", "invited", "joined"]);
    expect(await canGet(bob, roomId, ids[0]!)).toBe(true);
  });

  it("invited: from the invite on", async () => {
    const { roomId, bob, ids } = await scenario("invited");
    expect(await visibleBodies(bob, roomId)).toEqual(["invited", "joined"]);
    expect(await canGet(bob, roomId, ids[0]!)).toBe(false);
    expect(await canGet(bob, roomId, ids[1]!)).toBe(true);
  });

  it("joined: from the join on, but the user sees their own join", async () => {
    const { roomId, bob, ids } = await scenario("joined");
    expect(await visibleBodies(bob, roomId)).toEqual(["joined"]);
    expect(await canGet(bob, roomId, ids[1]!)).toBe(false);
    const all = await call(hs, "GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=50`, bob);
    const ownMember = all.body.chunk.filter(
      (e: { type: string; state_key: string }) => e.type === "m.room.member" && e.state_key === bob.userId,
    );
    expect(ownMember.map((e: { content: { membership: string } }) => e.content.membership)).toEqual(["join"]);
  });

  it("an invited user who has not joined sees invited-visibility history, not shared history", async () => {
    const carol = await newUser();
    const roomId = await rooms.createRoom(alice);
    await rooms.state(alice, roomId, "m.room.history_visibility", "", {
      history_visibility: "invited",
    });
    await rooms.member(alice, roomId, "invite", carol.userId);
    await rooms.send(alice, roomId, text("for the invitee"));
    expect(await visibleBodies(carol, roomId)).toEqual(["for the invitee"]);

    const shared = await rooms.createRoom(alice);
    await rooms.send(alice, shared, text("old"));
    await rooms.member(alice, shared, "invite", carol.userId);
    await rooms.send(alice, shared, text("while invited"));
    expect(await visibleBodies(carol, shared)).toEqual([]);
  });

  it("world_readable: anyone, without joining; the change of setting itself is visible", async () => {
    const stranger = await newUser();
    const roomId = await rooms.createRoom(alice);
    const early = await rooms.send(alice, roomId, text("private past"));
    await rooms.state(alice, roomId, "m.room.history_visibility", "", {
      history_visibility: "world_readable",
    });
    const open = await rooms.send(alice, roomId, text("open"));
    expect(await visibleBodies(stranger, roomId)).toEqual(["open"]);
    expect(await canGet(stranger, roomId, open)).toBe(true);
    expect(await canGet(stranger, roomId, early)).toBe(false);
    const ctx = await call(hs, "GET", `/rooms/${enc(roomId)}/context/${enc(open)}`, stranger);
    expect(ctx.status).toBe(200);
    const page = await call(hs, "GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=50`, stranger);
    expect(page.body.chunk.some((e: { type: string }) => e.type === "m.room.history_visibility")).toBe(true);
  });

  it("a user who left sees up to their leave and nothing after", async () => {
    const bob = await newUser();
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.state(alice, roomId, "m.room.history_visibility", "", {
      history_visibility: "joined",
    });
    await rooms.member(bob, roomId, "join");
    await rooms.send(alice, roomId, text("while there"));
    await rooms.member(bob, roomId, "leave");
    const after = await rooms.send(alice, roomId, text("after leaving"));
    expect(await visibleBodies(bob, roomId)).toEqual(["while there"]);
    expect(await canGet(bob, roomId, after)).toBe(false);
    const fwd = await call(hs, "GET", `/rooms/${enc(roomId)}/messages?dir=f&limit=50`, bob);
    expect(fwd.body.chunk.map((e: { content: { body?: string } }) => e.content.body).filter(Boolean)).toEqual(
      ["while there"],
    );
    // Their own leave is visible (membership before it was join).
    const own = fwd.body.chunk.filter(
      (e: { type: string; state_key: string }) => e.type === "m.room.member" && e.state_key === bob.userId,
    );
    expect(own.map((e: { content: { membership: string } }) => e.content.membership)).toEqual([
      "join",
      "leave",
    ]);
  });

  it("rejoining opens the gap under shared, not under joined", async () => {
    const bob = await newUser();
    const shared = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.member(bob, shared, "join");
    await rooms.member(bob, shared, "leave");
    await rooms.send(alice, shared, text("while away"));
    expect(await visibleBodies(bob, shared)).toEqual([]);
    await rooms.member(bob, shared, "join");
    expect(await visibleBodies(bob, shared)).toEqual(["while away"]);

    const joined = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.state(alice, joined, "m.room.history_visibility", "", { history_visibility: "joined" });
    await rooms.member(bob, joined, "join");
    await rooms.member(bob, joined, "leave");
    await rooms.send(alice, joined, text("while away"));
    await rooms.member(bob, joined, "join");
    await rooms.send(alice, joined, text("back"));
    expect(await visibleBodies(bob, joined)).toEqual(["back"]);
  });

  it("a banned user keeps what they saw before the ban", async () => {
    const bob = await newUser();
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.member(bob, roomId, "join");
    await rooms.send(alice, roomId, text("seen"));
    await rooms.member(alice, roomId, "ban", bob.userId);
    await rooms.send(alice, roomId, text("unseen"));
    expect(await visibleBodies(bob, roomId)).toEqual(["seen"]);
  });

  it("unsigned.membership is the requester's membership at each event", async () => {
    const { roomId, bob } = await scenario("shared");
    const page = await call(hs, "GET", `/rooms/${enc(roomId)}/messages?dir=f&limit=50`, bob);
    const byBody = Object.fromEntries(
      page.body.chunk
        .filter((e: { type: string }) => e.type === "m.room.message")
        .map((e: { content: { body: string }; unsigned: { membership: string } }) => [
          e.content.body,
          e.unsigned.membership,
        ]),
    );
    expect(byBody).toEqual({ before: "leave", invited: "invite", joined: "join" });
  });
});
