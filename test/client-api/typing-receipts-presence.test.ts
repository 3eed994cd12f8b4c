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
  type SyncEvent,
} from "../sync/helpers.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let alice: Session;
let mallory: Session;
let roomId: string;
let now = 1_800_000_000_000;
beforeAll(async () => {
  hs = await startTestHomeserver({}, { clock: () => now });
  rooms = new RoomDriver(hs);
  alice = await createTestUser(hs, "alice", { isAdmin: true });
  mallory = await createTestUser(hs, "mallory");
  roomId = await rooms.createRoom(alice);
});
afterAll(() => hs?.destroy());

const typingPath = (room: string, user: Session) => `/rooms/${enc(room)}/typing/${enc(user.userId)}`;
const receiptPath = (room: string, type: string, eventId: string) =>
  `/rooms/${enc(room)}/receipt/${enc(type)}/${enc(eventId)}`;
const receiptContent = (events: SyncEvent[]) => events.find((e) => e.type === "m.receipt")?.content;

describe("typing", () => {
  it("sets and clears typing; sync carries the full current set", async () => {
    const start = await rooms.sync(alice);
    expect(
      (await call(hs, alice, "PUT", typingPath(roomId, alice), { typing: true, timeout: 30_000 })).status,
    ).toBe(200);
    const on = await rooms.sync(alice, { since: start.next_batch as string });
    expect(ephemeralOf(roomSection(on, "join", roomId))).toEqual([
      { type: "m.typing", content: { user_ids: [alice.userId] } },
    ]);
    // Initial sync shows who is typing now.
    expect(ephemeralOf(roomSection(await rooms.sync(alice), "join", roomId))).toContainEqual({
      type: "m.typing",
      content: { user_ids: [alice.userId] },
    });
    await call(hs, alice, "PUT", typingPath(roomId, alice), { typing: false });
    const off = await rooms.sync(alice, { since: on.next_batch as string });
    expect(ephemeralOf(roomSection(off, "join", roomId))).toEqual([
      { type: "m.typing", content: { user_ids: [] } },
    ]);
    // Nothing changed since: no m.typing at all.
    expect((await rooms.sync(alice, { since: off.next_batch as string })).rooms).toEqual({});
  });

  it("rejects other users' ids (403), rooms the user is not in (403) and bad bodies (400)", async () => {
    expect((await call(hs, alice, "PUT", typingPath(roomId, mallory), { typing: true })).status).toBe(403);
    const notMember = await call(hs, mallory, "PUT", typingPath(roomId, mallory), { typing: true });
    expect(notMember.status).toBe(403);
    expect(notMember.body.errcode).toBe("M_FORBIDDEN");
    expect(
      (await call(hs, alice, "PUT", typingPath("!unknown:hearth.test", alice), { typing: true })).status,
    ).toBe(403);
    for (const bad of [
      {},
      { typing: "yes" },
      { typing: true, timeout: "long" },
      { typing: true, timeout: -1 },
    ]) {
      const res = await call(hs, alice, "PUT", typingPath(roomId, alice), bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
    }
    expect((await call(hs, alice, "PUT", typingPath("nope", alice), { typing: true })).status).toBe(400);
  });
});

describe("receipts and read markers", () => {
  it("m.read goes to sync as m.receipt; m.read.private too (to the user); thread ids are kept", async () => {
    const first = await rooms.send(alice, roomId, "read me");
    const second = await rooms.send(alice, roomId, "and me");
    const start = await rooms.sync(alice);
    now += 5;
    expect((await call(hs, alice, "POST", receiptPath(roomId, "m.read", first), {})).status).toBe(200);
    expect(
      (await call(hs, alice, "POST", receiptPath(roomId, "m.read.private", second), { thread_id: "main" }))
        .status,
    ).toBe(200);
    const body = await rooms.sync(alice, { since: start.next_batch as string });
    expect(receiptContent(ephemeralOf(roomSection(body, "join", roomId)))).toEqual({
      [first]: { "m.read": { [alice.userId]: { ts: now } } },
      [second]: { "m.read.private": { [alice.userId]: { ts: now, thread_id: "main" } } },
    });
    // Initial sync carries the current receipts.
    expect(receiptContent(ephemeralOf(roomSection(await rooms.sync(alice), "join", roomId)))).toHaveProperty(
      first,
    );
  });

  it("receipts only move forward", async () => {
    const older = await rooms.send(alice, roomId, "older");
    const newer = await rooms.send(alice, roomId, "newer");
    await call(hs, alice, "POST", receiptPath(roomId, "m.read", newer), {});
    const start = await rooms.sync(alice);
    await call(hs, alice, "POST", receiptPath(roomId, "m.read", older), {});
    const body = await rooms.sync(alice, { since: start.next_batch as string });
    expect(body.rooms).toEqual({});
  });

  it("m.fully_read (receipt or read_markers) is room account data, not a receipt", async () => {
    const eventId = await rooms.send(alice, roomId, "marker");
    const start = await rooms.sync(alice);
    expect((await call(hs, alice, "POST", receiptPath(roomId, "m.fully_read", eventId), {})).status).toBe(
      200,
    );
    const body = await rooms.sync(alice, { since: start.next_batch as string });
    const room = roomSection(body, "join", roomId);
    expect(accountDataOf(room)).toEqual([{ type: "m.fully_read", content: { event_id: eventId } }]);
    expect(receiptContent(ephemeralOf(room))).toBeUndefined();

    const later = await rooms.send(alice, roomId, "marker 2");
    const res = await call(hs, alice, "POST", `/rooms/${enc(roomId)}/read_markers`, {
      "m.fully_read": later,
      "m.read": later,
    });
    expect(res.status).toBe(200);
    const got = await call(
      hs,
      alice,
      "GET",
      `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`,
    );
    expect(got.body).toEqual({ event_id: later });
  });

  it("bad input: 400 for types, thread ids and bodies; 403 outside the room; 404 for unknown events", async () => {
    const eventId = await rooms.send(alice, roomId, "x");
    const bad: [string, unknown, number, string][] = [
      [receiptPath(roomId, "m.unknown", eventId), {}, 400, "M_INVALID_PARAM"],
      [receiptPath(roomId, "m.read", eventId), { thread_id: "" }, 400, "M_INVALID_PARAM"],
      [receiptPath(roomId, "m.read", eventId), { thread_id: 5 }, 400, "M_INVALID_PARAM"],
      [receiptPath(roomId, "m.fully_read", eventId), { thread_id: "main" }, 400, "M_INVALID_PARAM"],
      [receiptPath(roomId, "m.read", "not-an-event"), {}, 400, "M_INVALID_PARAM"],
      [receiptPath(roomId, "m.read", "$unknown"), {}, 404, "M_NOT_FOUND"],
      [`/rooms/${enc(roomId)}/read_markers`, { "m.read": 5 }, 400, "M_BAD_JSON"],
      [`/rooms/${enc(roomId)}/read_markers`, "[]", 400, "M_BAD_JSON"],
    ];
    for (const [path, body, status, errcode] of bad) {
      const res = await call(hs, alice, "POST", path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.errcode).toBe(errcode);
    }
    const outsider = await call(hs, mallory, "POST", receiptPath(roomId, "m.read", eventId), {});
    expect(outsider.status).toBe(403);
    expect((await call(hs, mallory, "POST", `/rooms/${enc(roomId)}/read_markers`, {})).status).toBe(403);
    // An empty body is accepted for receipts (older clients send none).
    expect((await call(hs, alice, "POST", receiptPath(roomId, "m.read", eventId), "")).status).toBe(200);
  });
});

describe("presence", () => {
  const statusPath = (s: Session) => `/presence/${enc(s.userId)}/status`;

  it("PUT then GET; last_active_ago counts from the last activity", async () => {
    expect(
      (await call(hs, alice, "PUT", statusPath(alice), { presence: "unavailable", status_msg: "lunch" }))
        .status,
    ).toBe(200);
    now += 1000;
    expect((await call(hs, alice, "GET", statusPath(alice))).body).toEqual({
      presence: "unavailable",
      status_msg: "lunch",
      last_active_ago: expect.any(Number) as number,
    });
    await call(hs, alice, "PUT", statusPath(alice), { presence: "online" });
    now += 500;
    expect((await call(hs, alice, "GET", statusPath(alice))).body).toEqual({
      presence: "online",
      last_active_ago: 500,
      currently_active: true,
    });
  });

  it("sync marks the user online unless set_presence says otherwise; changes reach the user's sync", async () => {
    await call(hs, alice, "PUT", statusPath(alice), { presence: "offline" });
    const start = await rooms.sync(alice, { set_presence: "offline" });
    expect((await call(hs, alice, "GET", statusPath(alice))).body.presence).toBe("offline");
    const body = await rooms.sync(alice, { since: start.next_batch as string });
    expect((await call(hs, alice, "GET", statusPath(alice))).body.presence).toBe("online");
    expect((body.presence as { events: SyncEvent[] }).events).toEqual([
      { type: "m.presence", sender: alice.userId, content: expect.objectContaining({ presence: "online" }) },
    ]);
    await rooms.sync(alice, { set_presence: "unavailable" });
    expect((await call(hs, alice, "GET", statusPath(alice))).body.presence).toBe("unavailable");
  });

  it("bad input and access", async () => {
    expect((await call(hs, alice, "PUT", statusPath(mallory), { presence: "online" })).status).toBe(403);
    const bad: [unknown, string][] = [
      [{}, "M_BAD_JSON"],
      [{ presence: 1 }, "M_BAD_JSON"],
      [{ presence: "busy" }, "M_INVALID_PARAM"],
      [{ presence: "online", status_msg: 5 }, "M_BAD_JSON"],
    ];
    for (const [body, errcode] of bad) {
      const res = await call(hs, alice, "PUT", statusPath(alice), body);
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe(errcode);
    }
    // No shared room: not visible. Unknown user: 404.
    expect((await call(hs, mallory, "GET", statusPath(alice))).status).toBe(403);
    expect((await call(hs, alice, "GET", `/presence/${enc("@nobody:hearth.test")}/status`)).status).toBe(404);
    // Never set: offline.
    expect((await call(hs, mallory, "GET", statusPath(mallory))).body).toEqual({ presence: "offline" });
  });
});

describe("account data in sync", () => {
  it("global and room account data, and tags, arrive once and again on initial sync", async () => {
    const start = await rooms.sync(alice);
    await call(hs, alice, "PUT", `/user/${enc(alice.userId)}/account_data/org.example.g`, { g: 1 });
    await call(
      hs,
      alice,
      "PUT",
      `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/org.example.r`,
      {
        r: 1,
      },
    );
    await call(hs, alice, "PUT", `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/tags/m.favourite`, {
      order: 0.5,
    });
    const body = await rooms.sync(alice, { since: start.next_batch as string });
    expect((body.account_data as { events: SyncEvent[] }).events).toEqual([
      { type: "org.example.g", content: { g: 1 } },
    ]);
    expect(accountDataOf(roomSection(body, "join", roomId))).toEqual([
      { type: "org.example.r", content: { r: 1 } },
      { type: "m.tag", content: { tags: { "m.favourite": { order: 0.5 } } } },
    ]);
    const again = await rooms.sync(alice, { since: body.next_batch as string });
    expect(again.account_data).toEqual({ events: [] });
    const initial = await rooms.sync(alice, {
      filter: JSON.stringify({
        account_data: { types: ["org.example.*"] },
        room: { account_data: { not_types: ["m.tag"] } },
      }),
    });
    expect((initial.account_data as { events: SyncEvent[] }).events.map((e) => e.type)).toEqual([
      "org.example.g",
    ]);
    expect(accountDataOf(roomSection(initial, "join", roomId)).map((e) => e.type)).not.toContain("m.tag");
  });
});
