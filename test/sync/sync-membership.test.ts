import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import {
  accountDataOf,
  call,
  enc,
  ephemeralOf,
  roomSection,
  RoomDriver,
  stateOf,
  timelineOf,
  type SyncEvent,
} from "./helpers.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let n = 0;
beforeAll(async () => {
  hs = await startTestHomeserver();
  rooms = new RoomDriver(hs);
});
afterAll(() => hs?.destroy());

/** Fresh users per test, so syncs only see that test's rooms. */
const user = (name: string, isAdmin = true): Promise<Session> =>
  createTestUser(hs, `${name}${++n}`, { isAdmin });

async function post(session: Session, path: string, body: unknown = {}): Promise<void> {
  const res = await call(hs, session, "POST", path, body);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
}
const join = (s: Session, roomId: string) => post(s, `/rooms/${enc(roomId)}/join`);
const leave = (s: Session, roomId: string) => post(s, `/rooms/${enc(roomId)}/leave`);
const invite = (s: Session, roomId: string, userId: string) =>
  post(s, `/rooms/${enc(roomId)}/invite`, { user_id: userId });

const ids = (events: SyncEvent[]) => events.map((e) => e.event_id);
const memberOf = (events: SyncEvent[]) =>
  events.filter((e) => e.type === "m.room.member").map((e) => e.state_key as string);

describe("invites", () => {
  it("arrive with stripped state including create and the invite, once; accepting moves the room to join", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const bobStart = await rooms.sync(bob);
    const roomId = await rooms.createRoom(alice, { name: "Invited", topic: "about" });
    await invite(alice, roomId, bob.userId);

    const body = await rooms.sync(bob, { since: bobStart.next_batch as string });
    const section = roomSection(body, "invite", roomId);
    const stripped = (section?.invite_state as { events: Record<string, unknown>[] }).events;
    for (const ev of stripped)
      expect(Object.keys(ev).sort()).toEqual(["content", "sender", "state_key", "type"]);
    const types = stripped.map((e) => `${e.type as string}|${e.state_key as string}`);
    expect(types).toEqual(
      expect.arrayContaining([
        "m.room.create|",
        "m.room.name|",
        "m.room.topic|",
        `m.room.member|${bob.userId}`,
      ]),
    );
    expect(stripped.find((e) => e.state_key === bob.userId)?.content).toMatchObject({ membership: "invite" });
    // Initial sync shows it too; a later incremental one does not repeat it.
    expect(roomSection(await rooms.sync(bob), "invite", roomId)).toBeDefined();
    const quiet = await rooms.sync(bob, { since: body.next_batch as string });
    expect(roomSection(quiet, "invite", roomId)).toBeUndefined();

    await join(bob, roomId);
    const joined = await rooms.sync(bob, { since: quiet.next_batch as string });
    const room = roomSection(joined, "join", roomId);
    expect(room).toBeDefined();
    // Newly joined: full state plus a timeline ending with the join.
    const all = [...stateOf(room), ...timelineOf(room)];
    expect(all.map((e) => e.type)).toEqual(
      expect.arrayContaining(["m.room.create", "m.room.name", "m.room.topic"]),
    );
    expect(timelineOf(room).at(-1)).toMatchObject({ type: "m.room.member", state_key: bob.userId });
    expect(room?.summary).toMatchObject({ "m.joined_member_count": 2, "m.invited_member_count": 0 });
  });

  it("a newly joined room comes with its current receipts, typing and the user's room account data", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice);
    const eventId = await rooms.send(alice, roomId, "read before bob joins");
    await post(alice, `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`);
    await invite(alice, roomId, bob.userId);
    await call(hs, alice, "PUT", `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true });
    const start = await rooms.sync(bob);
    await call(hs, bob, "PUT", `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/tags/u.later`, {});
    const invited = await rooms.sync(bob, { since: start.next_batch as string });
    await join(bob, roomId);
    const body = await rooms.sync(bob, { since: invited.next_batch as string });
    const room = roomSection(body, "join", roomId);
    const ephemeral = ephemeralOf(room);
    expect(ephemeral.find((e) => e.type === "m.receipt")?.content).toHaveProperty(eventId);
    expect(ephemeral).toContainEqual({ type: "m.typing", content: { user_ids: [alice.userId] } });
    expect(accountDataOf(room)).toContainEqual({ type: "m.tag", content: { tags: { "u.later": {} } } });
    await call(hs, alice, "PUT", `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: false });
  });

  it("a rejected invite shows up under leave", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice);
    await invite(alice, roomId, bob.userId);
    const start = await rooms.sync(bob);
    expect(roomSection(start, "invite", roomId)).toBeDefined();
    await leave(bob, roomId);
    const body = await rooms.sync(bob, { since: start.next_batch as string });
    const left = roomSection(body, "leave", roomId);
    expect(timelineOf(left).at(-1)).toMatchObject({
      type: "m.room.member",
      state_key: bob.userId,
      content: { membership: "leave" },
    });
    expect(roomSection(body, "invite", roomId)).toBeUndefined();
    // Never joined: the room's state and other events stay hidden.
    expect(stateOf(left)).toEqual([]);
    expect(timelineOf(left).every((e) => e.state_key === bob.userId)).toBe(true);
  });

  it("a rejected invite's state_after is the rejection alone (clients using it take membership from it)", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice, { name: "Secret" });
    await invite(alice, roomId, bob.userId);
    const start = await rooms.sync(bob, { use_state_after: "true" });
    expect(roomSection(start, "invite", roomId)).toBeDefined();
    await leave(bob, roomId);
    const body = await rooms.sync(bob, { use_state_after: "true", since: start.next_batch as string });
    const left = roomSection(body, "leave", roomId);
    const rejection = timelineOf(left).at(-1);
    expect(rejection).toMatchObject({ state_key: bob.userId, content: { membership: "leave" } });
    expect(left?.state).toBeUndefined();
    const after = (left?.state_after as { events: SyncEvent[] }).events;
    expect(ids(after)).toEqual([rejection?.event_id]);
  });
});

describe("knocks", () => {
  it("a knock shows under rooms.knock with stripped state including the knock", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice, {
      name: "Knockable",
      initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
    });
    const start = await rooms.sync(bob);
    await post(bob, `/knock/${enc(roomId)}`, { reason: "let me in" });
    const body = await rooms.sync(bob, { since: start.next_batch as string });
    const stripped = (
      roomSection(body, "knock", roomId)?.knock_state as { events: Record<string, unknown>[] }
    ).events;
    expect(stripped.map((e) => e.type)).toEqual(
      expect.arrayContaining(["m.room.create", "m.room.join_rules"]),
    );
    expect(stripped.find((e) => e.state_key === bob.userId)?.content).toMatchObject({ membership: "knock" });
  });
});

describe("leaves", () => {
  it("a leave comes in rooms.leave with the events up to it, then nothing more from the room", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const start = await rooms.sync(bob);
    const before = await rooms.send(alice, roomId, "before bob leaves");
    await leave(bob, roomId);
    await rooms.send(alice, roomId, "after bob left");
    const body = await rooms.sync(bob, { since: start.next_batch as string });
    expect(roomSection(body, "join", roomId)).toBeUndefined();
    const left = roomSection(body, "leave", roomId);
    const timeline = timelineOf(left);
    expect(ids(timeline)[0]).toBe(before);
    expect(timeline.at(-1)).toMatchObject({ state_key: bob.userId, content: { membership: "leave" } });
    expect(timeline).toHaveLength(2);
    const quiet = await rooms.sync(bob, { since: body.next_batch as string });
    expect(quiet.rooms).toEqual({});
  });

  it("include_leave brings left rooms to initial sync; forgotten rooms never come", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const kept = await rooms.createRoom(alice, { preset: "public_chat" });
    const forgotten = await rooms.createRoom(alice, { preset: "public_chat" });
    for (const roomId of [kept, forgotten]) {
      await join(bob, roomId);
      await leave(bob, roomId);
    }
    await post(bob, `/rooms/${enc(forgotten)}/forget`);
    expect((await rooms.sync(bob)).rooms).toEqual({});
    const body = await rooms.sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
    expect(Object.keys((body.rooms as { leave: object }).leave)).toEqual([kept]);
    const left = roomSection(body, "leave", kept);
    expect(timelineOf(left).at(-1)).toMatchObject({
      state_key: bob.userId,
      content: { membership: "leave" },
    });
  });

  it("a rejoin after leaving between syncs gets the room in full again", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice, { preset: "public_chat", name: "Again" });
    await join(bob, roomId);
    const start = await rooms.sync(bob);
    await leave(bob, roomId);
    await join(bob, roomId);
    const body = await rooms.sync(bob, { since: start.next_batch as string });
    const room = roomSection(body, "join", roomId);
    const all = [...stateOf(room), ...timelineOf(room)];
    expect(all.map((e) => e.type)).toEqual(expect.arrayContaining(["m.room.create", "m.room.name"]));
  });
});

describe("lazy-loading members", () => {
  it("state holds only the members the timeline needs, the user and heroes; the summary stays right", async () => {
    const alice = await user("alice");
    const members = [await user("m"), await user("m"), await user("m"), await user("m")];
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    for (const m of members) await join(m, roomId);
    for (let i = 0; i < 5; i++) await rooms.send(alice, roomId, `filler ${i}`);
    const speaker = members[0] as Session;
    await rooms.send(speaker, roomId, "I speak");
    const lazy = { room: { timeline: { limit: 2 }, state: { lazy_load_members: true } } };

    const body = await rooms.sync(alice, { filter: JSON.stringify(lazy) });
    const room = roomSection(body, "join", roomId);
    const stateMembers = memberOf(stateOf(room));
    expect(stateMembers).toContain(speaker.userId);
    expect(stateMembers).toContain(alice.userId);
    expect(room?.summary).toMatchObject({ "m.joined_member_count": 5, "m.invited_member_count": 0 });
    const heroes = (room?.summary as { "m.heroes": string[] })["m.heroes"];
    expect(heroes).toHaveLength(4);
    expect(heroes).not.toContain(alice.userId);
    expect(new Set(stateMembers)).toEqual(new Set([alice.userId, ...heroes]));
    // Without lazy loading every member comes.
    const full = roomSection(
      await rooms.sync(alice, { filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) }),
      "join",
      roomId,
    );
    expect(memberOf(stateOf(full)).sort()).toEqual([alice.userId, ...members.map((m) => m.userId)].sort());
  });

  it("incremental: a new sender's member event comes once; include_redundant_members sends it every time", async () => {
    const alice = await user("alice");
    const carol = await user("carol");
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    // Five earlier members are the heroes (whose member events lazy-loading always includes).
    for (let i = 0; i < 5; i++) await join(await user("hero"), roomId);
    await join(carol, roomId);
    for (let i = 0; i < 6; i++) await rooms.send(alice, roomId, `pad ${i}`);
    const lazy = JSON.stringify({ room: { timeline: { limit: 3 }, state: { lazy_load_members: true } } });
    const redundant = JSON.stringify({
      room: { timeline: { limit: 3 }, state: { lazy_load_members: true, include_redundant_members: true } },
    });
    const start = await rooms.sync(alice, { filter: lazy });
    expect(memberOf(stateOf(roomSection(start, "join", roomId)))).not.toContain(carol.userId);

    await rooms.send(carol, roomId, "hello from carol");
    const first = await rooms.sync(alice, { filter: lazy, since: start.next_batch as string });
    expect(memberOf(stateOf(roomSection(first, "join", roomId)))).toEqual([carol.userId]);
    await rooms.send(carol, roomId, "again");
    const second = await rooms.sync(alice, { filter: lazy, since: first.next_batch as string });
    expect(memberOf(stateOf(roomSection(second, "join", roomId)))).toEqual([]);
    await rooms.send(carol, roomId, "and again");
    const third = await rooms.sync(alice, { filter: redundant, since: second.next_batch as string });
    // Redundant members asked for: the sender's, and the heroes' too.
    expect(memberOf(stateOf(roomSection(third, "join", roomId)))).toContain(carol.userId);
  });

  it("a limited incremental sync carries membership changes in the gap", async () => {
    const alice = await user("alice");
    const dave = await user("dave");
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    const lazy = JSON.stringify({ room: { timeline: { limit: 2 }, state: { lazy_load_members: true } } });
    const start = await rooms.sync(alice, { filter: lazy });
    await join(dave, roomId);
    for (let i = 0; i < 4; i++) await rooms.send(alice, roomId, `after dave ${i}`);
    const body = await rooms.sync(alice, { filter: lazy, since: start.next_batch as string });
    const room = roomSection(body, "join", roomId);
    expect((room?.timeline as { limited: boolean }).limited).toBe(true);
    expect(memberOf(stateOf(room))).toContain(dave.userId);
  });
});

describe("shared rooms: presence and receipts", () => {
  it("presence of room-mates reaches sync; private receipts stay with their owner", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const eventId = await rooms.send(alice, roomId, "read this");
    const start = await rooms.sync(alice);
    await call(hs, bob, "PUT", `/presence/${enc(bob.userId)}/status`, {
      presence: "online",
      status_msg: "hi",
    });
    await post(bob, `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`);
    await post(bob, `/rooms/${enc(roomId)}/receipt/m.read.private/${enc(eventId)}`);
    const body = await rooms.sync(alice, { since: start.next_batch as string, set_presence: "offline" });
    const presence = (body.presence as { events: SyncEvent[] }).events;
    expect(presence).toContainEqual({
      type: "m.presence",
      sender: bob.userId,
      content: expect.objectContaining({ presence: "online", status_msg: "hi" }) as object,
    });
    const receipt = ephemeralOf(roomSection(body, "join", roomId)).find((e) => e.type === "m.receipt");
    expect(receipt?.content).toEqual({
      [eventId]: { "m.read": { [bob.userId]: { ts: expect.any(Number) as number } } },
    });
    // Bob sees his own private receipt.
    const bobs = ephemeralOf(roomSection(await rooms.sync(bob), "join", roomId)).find(
      (e) => e.type === "m.receipt",
    );
    expect(Object.keys((bobs?.content[eventId] as object) ?? {}).sort()).toEqual([
      "m.read",
      "m.read.private",
    ]);
    // Presence is visible to room-mates through the API as well.
    expect((await call(hs, alice, "GET", `/presence/${enc(bob.userId)}/status`)).status).toBe(200);
  });

  it("newly shared rooms bring presence both ways, even when it did not change", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    await call(hs, alice, "PUT", `/presence/${enc(alice.userId)}/status`, {
      presence: "online",
      status_msg: "a",
    });
    await call(hs, bob, "PUT", `/presence/${enc(bob.userId)}/status`, {
      presence: "online",
      status_msg: "b",
    });
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    const aliceStart = await rooms.sync(alice);
    const bobStart = await rooms.sync(bob);
    await join(bob, roomId);
    const senders = (body: Record<string, unknown>) =>
      (body.presence as { events: SyncEvent[] }).events.map((e) => e.sender);
    expect(senders(await rooms.sync(alice, { since: aliceStart.next_batch as string }))).toContain(
      bob.userId,
    );
    expect(senders(await rooms.sync(bob, { since: bobStart.next_batch as string }))).toContain(alice.userId);
  });

  it("typing from a room-mate wakes a long-poll", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const start = await rooms.sync(alice);
    const pending = rooms.sync(alice, { since: start.next_batch as string, timeout: "30000" });
    await call(hs, bob, "PUT", `/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, {
      typing: true,
      timeout: 5000,
    });
    const body = await pending;
    expect(ephemeralOf(roomSection(body, "join", roomId))).toContainEqual({
      type: "m.typing",
      content: { user_ids: [bob.userId] },
    });
  });

  it("a new invite wakes the invitee's long-poll", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await rooms.createRoom(alice);
    const start = await rooms.sync(bob);
    const pending = rooms.sync(bob, { since: start.next_batch as string, timeout: "30000" });
    await invite(alice, roomId, bob.userId);
    expect(roomSection(await pending, "invite", roomId)).toBeDefined();
  });
});
