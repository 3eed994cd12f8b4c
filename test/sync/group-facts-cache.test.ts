import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { BoundedGroupFactsCache } from "../../src/sync/group-facts-cache.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc, roomSection, RoomDriver, timelineOf } from "./helpers.ts";

describe("BoundedGroupFactsCache", () => {
  it("keeps entries per group and user, dropping the oldest past its capacity", () => {
    const cache = new BoundedGroupFactsCache(2);
    cache.set(1, "@a:x", { visibility: "shared", membership: "join" });
    cache.set(1, "@b:x", { visibility: "shared", membership: undefined });
    expect(cache.get(1, "@a:x")?.membership).toBe("join");
    expect(cache.get(1, "@b:x")?.membership).toBeUndefined();
    expect(cache.get(2, "@a:x")).toBeUndefined();
    cache.set(2, "@a:x", { visibility: "joined", membership: "leave" });
    expect(cache.size).toBe(2);
    expect(cache.get(1, "@a:x")).toBeUndefined();
    expect(cache.get(2, "@a:x")?.visibility).toBe("joined");
  });
});

describe("sync timelines with cached visibility facts", () => {
  let hs: TestHomeserver;
  let rooms: RoomDriver;
  let alice: Session;
  let bob: Session;
  beforeAll(async () => {
    hs = await startTestHomeserver();
    rooms = new RoomDriver(hs);
    alice = await createTestUser(hs, "alice", { isAdmin: true });
    bob = await createTestUser(hs, "bob", { isAdmin: true });
  });
  afterAll(() => hs?.destroy());

  it("still hides what follows a kick under joined history, and redactions still show", async () => {
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.state(alice, roomId, "m.room.history_visibility", { history_visibility: "joined" });
    expect((await call(hs, bob, "POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
    let body = await rooms.sync(bob);
    const seen = await rooms.send(alice, roomId, "one");
    body = await rooms.sync(bob, { since: body.next_batch as string });
    expect(timelineOf(roomSection(body, "join", roomId)).map((e) => e.event_id)).toEqual([seen]);
    // Same state group as the message before: answered from the cache.
    const cachedBefore = hs.ctx.sync.groupFacts.size;
    const second = await rooms.send(alice, roomId, "two");
    body = await rooms.sync(bob, { since: body.next_batch as string });
    expect(timelineOf(roomSection(body, "join", roomId)).map((e) => e.event_id)).toEqual([second]);
    expect(hs.ctx.sync.groupFacts.size).toBe(cachedBefore);

    const redaction = await call(hs, alice, "PUT", `/rooms/${enc(roomId)}/redact/${enc(second)}/r1`, {});
    expect(redaction.status).toBe(200);
    body = await rooms.sync(bob, { since: body.next_batch as string });
    expect(timelineOf(roomSection(body, "join", roomId)).map((e) => e.event_id)).toEqual([
      redaction.body.event_id,
    ]);
    const again = await rooms.sync(bob, { full_state: "true" });
    const redacted = timelineOf(roomSection(again, "join", roomId)).find((e) => e.event_id === second);
    expect(redacted?.content).toEqual({});

    const kick = await call(hs, alice, "POST", `/rooms/${enc(roomId)}/kick`, { user_id: bob.userId });
    expect(kick.status).toBe(200);
    const hidden = await rooms.send(alice, roomId, "after the kick");
    body = await rooms.sync(bob, { since: body.next_batch as string });
    const leftTimeline = timelineOf(roomSection(body, "leave", roomId));
    expect(leftTimeline.at(-1)).toMatchObject({
      type: "m.room.member",
      state_key: bob.userId,
      content: { membership: "leave" },
    });
    const left = leftTimeline.map((e) => e.event_id);
    expect(left).not.toContain(hidden);
  });
});
