import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startSession } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc, roomSection, RoomDriver, stateOf, timelineOf } from "./helpers.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let alice: Session;
beforeAll(async () => {
  hs = await startTestHomeserver();
  rooms = new RoomDriver(hs);
  // Admins are exempt from the message rate limit, and these tests send many messages.
  alice = await createTestUser(hs, "alice", { isAdmin: true });
});
afterAll(() => hs?.destroy());

const ids = (events: { event_id?: string }[]) => events.map((e) => e.event_id);

describe("initial sync", () => {
  it("returns the room with its whole small history in the timeline and empty state", async () => {
    const roomId = await rooms.createRoom(alice, { name: "Small" });
    const msg = await rooms.send(alice, roomId, "hello");
    const body = await rooms.sync(alice);
    expect(body.next_batch).toMatch(/^s\d+_\d+_\d+_\d+_\d+_\d+_\d+$/);
    const room = roomSection(body, "join", roomId);
    const timeline = timelineOf(room);
    expect(timeline[0]?.type).toBe("m.room.create");
    expect(timeline.at(-1)?.event_id).toBe(msg);
    expect(stateOf(room)).toEqual([]);
    expect((room?.timeline as { limited: boolean }).limited).toBe(false);
    expect(typeof (room?.timeline as { prev_batch: unknown }).prev_batch).toBe("string");
    // Sync sections name their room: events inside carry no room_id.
    expect(timeline.every((e) => !("room_id" in e))).toBe(true);
    expect(room?.unread_notifications).toEqual({ highlight_count: 0, notification_count: 0 });
    expect(room?.summary).toEqual({
      "m.heroes": [],
      "m.joined_member_count": 1,
      "m.invited_member_count": 0,
    });
    for (const key of ["presence", "account_data", "to_device"]) expect(body[key]).toHaveProperty("events");
    expect(body.device_lists).toEqual({ changed: [], left: [] });
    expect(body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(body.device_unused_fallback_key_types).toEqual([]);
  });

  it("limits the timeline; state is the state at its start, never duplicating a timeline event", async () => {
    const roomId = await rooms.createRoom(alice, { name: "Busy" });
    for (let i = 0; i < 12; i++) await rooms.send(alice, roomId, `m${i}`);
    const topic = await rooms.state(alice, roomId, "m.room.topic", { topic: "late topic" });
    await rooms.send(alice, roomId, "after topic");
    const body = await rooms.sync(alice, { filter: JSON.stringify({ room: { timeline: { limit: 5 } } }) });
    const room = roomSection(body, "join", roomId);
    const timeline = timelineOf(room);
    expect(timeline).toHaveLength(5);
    expect((room?.timeline as { limited: boolean }).limited).toBe(true);
    expect(ids(timeline)).toContain(topic);
    const state = stateOf(room);
    const types = state.map((e) => e.type).sort();
    expect(types).toEqual(
      expect.arrayContaining(["m.room.create", "m.room.member", "m.room.name", "m.room.power_levels"]),
    );
    expect(types).not.toContain("m.room.topic"); // it is in the timeline, after the start
    const timelineIds = new Set(ids(timeline));
    expect(state.some((e) => timelineIds.has(e.event_id))).toBe(false);
  });

  it("prev_batch pages back through /messages from just before the first timeline event", async () => {
    const roomId = await rooms.createRoom(alice);
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) sent.push(await rooms.send(alice, roomId, `p${i}`));
    const body = await rooms.sync(alice, { filter: JSON.stringify({ room: { timeline: { limit: 3 } } }) });
    const room = roomSection(body, "join", roomId);
    expect(ids(timelineOf(room))).toEqual(sent.slice(3));
    const prev = (room?.timeline as { prev_batch: string }).prev_batch;
    const page = await call(
      hs,
      alice,
      "GET",
      `/rooms/${enc(roomId)}/messages?dir=b&limit=3&from=${enc(prev)}`,
    );
    expect(page.status).toBe(200);
    expect(ids(page.body.chunk as { event_id: string }[])).toEqual(sent.slice(0, 3).reverse());
  });

  it("applies timeline filters: types, not_senders; a stored filter id works like inline JSON", async () => {
    const roomId = await rooms.createRoom(alice);
    const msg = await rooms.send(alice, roomId, "only me");
    const filter = { room: { rooms: [roomId], timeline: { types: ["m.room.message"] } } };
    const created = await call(hs, alice, "POST", `/user/${enc(alice.userId)}/filter`, filter);
    for (const param of [JSON.stringify(filter), created.body.filter_id as string]) {
      const body = await rooms.sync(alice, { filter: param });
      expect(Object.keys((body.rooms as { join: object }).join)).toEqual([roomId]);
      expect(ids(timelineOf(roomSection(body, "join", roomId)))).toEqual([msg]);
    }
    const none = await rooms.sync(alice, {
      filter: JSON.stringify({ room: { rooms: [roomId], timeline: { not_senders: [alice.userId] } } }),
    });
    expect(timelineOf(roomSection(none, "join", roomId))).toEqual([]);
  });

  it("event_fields and event_format federation", async () => {
    const roomId = await rooms.createRoom(alice);
    await rooms.send(alice, roomId, "fields");
    const base = { room: { rooms: [roomId], timeline: { types: ["m.room.message"] } } };
    const projected = await rooms.sync(alice, {
      filter: JSON.stringify({ ...base, event_fields: ["type", "content.body"] }),
    });
    expect(timelineOf(roomSection(projected, "join", roomId))).toEqual([
      { type: "m.room.message", content: { body: "fields" } },
    ]);
    const fed = await rooms.sync(alice, { filter: JSON.stringify({ ...base, event_format: "federation" }) });
    const [pdu] = timelineOf(roomSection(fed, "join", roomId)) as unknown as Record<string, unknown>[];
    expect(pdu).toHaveProperty("hashes");
    expect(pdu).toHaveProperty("signatures");
    expect(pdu).toHaveProperty("prev_events");
    expect(pdu).toHaveProperty("depth");
  });
});

describe("incremental sync", () => {
  it("returns only what is new, and an empty response with a usable next_batch when nothing is", async () => {
    const roomId = await rooms.createRoom(alice);
    const first = await rooms.sync(alice);
    const msg = await rooms.send(alice, roomId, "new");
    const next = await rooms.sync(alice, { since: first.next_batch as string });
    const room = roomSection(next, "join", roomId);
    expect(ids(timelineOf(room))).toEqual([msg]);
    expect(stateOf(room)).toEqual([]);
    expect((room?.timeline as { limited: boolean }).limited).toBe(false);
    const quiet = await rooms.sync(alice, { since: next.next_batch as string });
    expect(quiet.rooms).toEqual({});
    expect(quiet.next_batch).toBe(next.next_batch);
  });

  it("limited gap: state delta holds the state changed in the gap; /messages closes the gap", async () => {
    const roomId = await rooms.createRoom(alice, { name: "Before" });
    const start = await rooms.sync(alice);
    const gap = [await rooms.send(alice, roomId, "g0")];
    const rename = await rooms.state(alice, roomId, "m.room.name", { name: "During gap" });
    for (let i = 1; i < 8; i++) gap.push(await rooms.send(alice, roomId, `g${i}`));
    const body = await rooms.sync(alice, {
      since: start.next_batch as string,
      filter: JSON.stringify({ room: { timeline: { limit: 3 } } }),
    });
    const room = roomSection(body, "join", roomId);
    expect(ids(timelineOf(room))).toEqual(gap.slice(-3));
    expect((room?.timeline as { limited: boolean }).limited).toBe(true);
    expect(ids(stateOf(room))).toEqual([rename]);
    const prev = (room?.timeline as { prev_batch: string }).prev_batch;
    const fill = await call(
      hs,
      alice,
      "GET",
      `/rooms/${enc(roomId)}/messages?dir=f&limit=50&from=${enc(start.next_batch as string)}&to=${enc(prev)}`,
    );
    expect(fill.status).toBe(200);
    expect(ids(fill.body.chunk as { event_id: string }[])).toEqual([gap[0], rename, ...gap.slice(1, -3)]);
  });

  it("full_state returns all state with since", async () => {
    const roomId = await rooms.createRoom(alice, { name: "Full" });
    const start = await rooms.sync(alice);
    const body = await rooms.sync(alice, { since: start.next_batch as string, full_state: "true" });
    const room = roomSection(body, "join", roomId);
    expect(timelineOf(room)).toEqual([]);
    expect(stateOf(room).map((e) => e.type)).toEqual(
      expect.arrayContaining(["m.room.create", "m.room.name"]),
    );
  });

  it("use_state_after: state_after instead of state, including timeline state", async () => {
    const roomId = await rooms.createRoom(alice, { name: "After" });
    const start = await rooms.sync(alice);
    const topic = await rooms.state(alice, roomId, "m.room.topic", { topic: "t" });
    const body = await rooms.sync(alice, { since: start.next_batch as string, use_state_after: "true" });
    const room = roomSection(body, "join", roomId);
    expect(room).not.toHaveProperty("state");
    expect(ids((room?.state_after as { events: { event_id: string }[] }).events)).toEqual([topic]);
    // matrix-js-sdk 37 still asks under MSC4222's name, and reads the answer under it.
    const unstable = await rooms.sync(alice, {
      since: start.next_batch as string,
      "org.matrix.msc4222.use_state_after": "true",
    });
    const section = roomSection(unstable, "join", roomId);
    expect(section).not.toHaveProperty("state");
    expect(section).not.toHaveProperty("state_after");
    expect(
      ids((section?.["org.matrix.msc4222.state_after"] as { events: { event_id: string }[] }).events),
    ).toEqual([topic]);
  });

  it("transaction_id only for the sending device", async () => {
    const roomId = await rooms.createRoom(alice);
    const other = await startSession(hs.ctx, alice.userId, { deviceId: "OTHERDEVICE" });
    const start = await rooms.sync(alice);
    const eventId = await rooms.sendWithTxn(alice, roomId, "my-txn-1", { msgtype: "m.text", body: "x" });
    const mine = timelineOf(
      roomSection(await rooms.sync(alice, { since: start.next_batch as string }), "join", roomId),
    );
    expect(mine.find((e) => e.event_id === eventId)?.unsigned?.transaction_id).toBe("my-txn-1");
    const theirs = timelineOf(
      roomSection(await rooms.sync(other, { since: start.next_batch as string }), "join", roomId),
    );
    const seen = theirs.find((e) => e.event_id === eventId);
    expect(seen).toBeDefined();
    expect(seen?.unsigned).not.toHaveProperty("transaction_id");
  });

  it("redacted events come redacted, with redacted_because", async () => {
    const roomId = await rooms.createRoom(alice);
    const target = await rooms.send(alice, roomId, "secret");
    const start = await rooms.sync(alice);
    const res = await call(hs, alice, "PUT", `/rooms/${enc(roomId)}/redact/${enc(target)}/r1`, {
      reason: "oops",
    });
    expect(res.status).toBe(200);
    const initial = timelineOf(roomSection(await rooms.sync(alice), "join", roomId));
    const redacted = initial.find((e) => e.event_id === target);
    expect(redacted?.content).toEqual({});
    expect((redacted?.unsigned?.redacted_because as { event_id: string }).event_id).toBe(res.body.event_id);
    const inc = timelineOf(
      roomSection(await rooms.sync(alice, { since: start.next_batch as string }), "join", roomId),
    );
    expect(ids(inc)).toEqual([res.body.event_id]);
  });
});

describe("stream positions", () => {
  it("never reads past persisted-up-to: an event committed behind an in-flight position waits", async () => {
    const roomId = await rooms.createRoom(alice);
    const start = await rooms.sync(alice);
    // Another writer holds the next position open (its transaction has not committed yet).
    const inFlight = hs.ctx.streams.events.allocate();
    const eventId = await rooms.send(alice, roomId, "committed after the gap");
    const early = await rooms.sync(alice, { since: start.next_batch as string });
    expect(roomSection(early, "join", roomId)).toBeUndefined();
    expect(early.next_batch).toBe(start.next_batch);
    hs.ctx.streams.events.complete(inFlight); // rolled back, say
    const late = await rooms.sync(alice, { since: early.next_batch as string });
    expect(ids(timelineOf(roomSection(late, "join", roomId)))).toEqual([eventId]);
  });
});

describe("bad input", () => {
  it("400 for malformed parameters and filters, never a 500", async () => {
    const cases: [string, string][] = [
      ["since=garbage", "M_INVALID_PARAM"],
      ["since=s1_2_3_4_5_6_7_8", "M_INVALID_PARAM"],
      ["since=t1_2", "M_INVALID_PARAM"],
      ["timeout=soon", "M_INVALID_PARAM"],
      ["timeout=-5", "M_INVALID_PARAM"],
      ["full_state=yes", "M_INVALID_PARAM"],
      ["set_presence=busy", "M_INVALID_PARAM"],
      ["use_state_after=1", "M_INVALID_PARAM"],
      [`filter=${enc("{not json")}`, "M_NOT_JSON"],
      [`filter=${enc('{"room":{"timeline":{"limit":"ten"}}}')}`, "M_BAD_JSON"],
      [`filter=${enc("[]")}`, "M_INVALID_PARAM"],
      ["filter=424242", "M_INVALID_PARAM"],
    ];
    for (const [query, errcode] of cases) {
      const res = await call(hs, alice, "GET", `/sync?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errcode, query).toBe(errcode);
    }
    expect((await call(hs, undefined, "GET", "/sync")).status).toBe(401);
  });
});
