import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { JoinedRoomsCache } from "../../src/sync/joined-rooms-cache.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc, roomSection, RoomDriver, timelineOf, until } from "./helpers.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let alice: Session;
let roomId: string;
beforeAll(async () => {
  hs = await startTestHomeserver();
  rooms = new RoomDriver(hs);
  alice = await createTestUser(hs, "alice", { isAdmin: true });
  roomId = await rooms.createRoom(alice);
});
afterAll(() => hs?.destroy());

/** Starts a long-poll and resolves once it is parked on the notifier. */
async function parkedSync(
  since: string,
  init: RequestInit = {},
): Promise<{ pending: Promise<Record<string, unknown>> }> {
  const before = hs.ctx.notifier.waiting;
  const pending = rooms.sync(alice, { since, timeout: "30000" }, init);
  await until(() => hs.ctx.notifier.waiting > before, "the sync to wait");
  // Wrapped: an async function returning the promise itself would wait for it.
  return { pending };
}

describe("long-poll", () => {
  it("returns as soon as a message arrives", async () => {
    const start = await rooms.sync(alice);
    const { pending } = await parkedSync(start.next_batch as string);
    const eventId = await rooms.send(alice, roomId, "wake up");
    const body = await pending;
    expect(timelineOf(roomSection(body, "join", roomId)).map((e) => e.event_id)).toEqual([eventId]);
    expect(hs.ctx.notifier.waiting).toBe(0);
  });

  it("parks without computing when nothing moved since its token, on the rooms its last sync found", async () => {
    const start = await rooms.sync(alice);
    const answers: (readonly string[] | undefined)[] = [];
    const at = JoinedRoomsCache.prototype.at;
    const spy = vi.spyOn(JoinedRoomsCache.prototype, "at").mockImplementation(function (
      this: JoinedRoomsCache,
      userId: string,
      position: number,
    ) {
      const rooms = at.call(this, userId, position);
      answers.push(rooms);
      return rooms;
    });
    try {
      const { pending } = await parkedSync(start.next_batch as string);
      expect(answers).toEqual([expect.arrayContaining([roomId])]);
      const eventId = await rooms.send(alice, roomId, "still woken");
      const body = await pending;
      expect(timelineOf(roomSection(body, "join", roomId)).map((e) => e.event_id)).toEqual([eventId]);
    } finally {
      spy.mockRestore();
    }
  });

  it("returns when account data changes", async () => {
    const start = await rooms.sync(alice);
    const { pending } = await parkedSync(start.next_batch as string);
    await call(hs, alice, "PUT", `/user/${enc(alice.userId)}/account_data/org.example.wake`, { n: 1 });
    const body = await pending;
    expect((body.account_data as { events: unknown[] }).events).toEqual([
      { type: "org.example.wake", content: { n: 1 } },
    ]);
  });

  it("returns when someone starts typing in a joined room", async () => {
    const start = await rooms.sync(alice);
    const { pending } = await parkedSync(start.next_batch as string);
    await call(hs, alice, "PUT", `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, {
      typing: true,
      timeout: 10_000,
    });
    const body = await pending;
    const ephemeral = (roomSection(body, "join", roomId)?.ephemeral as { events: unknown[] }).events;
    expect(ephemeral).toEqual([{ type: "m.typing", content: { user_ids: [alice.userId] } }]);
    await call(hs, alice, "PUT", `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: false });
  });

  it("times out with an empty response whose next_batch is usable", async () => {
    const start = await rooms.sync(alice);
    const body = await rooms.sync(alice, { since: start.next_batch as string, timeout: "20" });
    expect(body.rooms).toEqual({});
    expect(body.next_batch).toBe(start.next_batch);
    const eventId = await rooms.send(alice, roomId, "later");
    const next = await rooms.sync(alice, { since: body.next_batch as string });
    expect(timelineOf(roomSection(next, "join", roomId)).map((e) => e.event_id)).toEqual([eventId]);
  });

  it("stops waiting when the client goes away", async () => {
    const start = await rooms.sync(alice);
    const abort = new AbortController();
    const { pending } = await parkedSync(start.next_batch as string, { signal: abort.signal });
    abort.abort();
    await pending.catch(() => undefined);
    await until(() => hs.ctx.notifier.waiting === 0, "the waiter to go");
  });

  it("returns at once when there is already something, and for initial and full_state syncs", async () => {
    const start = await rooms.sync(alice);
    await rooms.send(alice, roomId, "already here");
    const t0 = Date.now();
    const body = await rooms.sync(alice, { since: start.next_batch as string, timeout: "30000" });
    expect(timelineOf(roomSection(body, "join", roomId))).toHaveLength(1);
    await rooms.sync(alice, { timeout: "30000" });
    await rooms.sync(alice, { since: body.next_batch as string, timeout: "30000", full_state: "true" });
    // Generous bound: the point is that none of these waited for their 30 s timeout.
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
