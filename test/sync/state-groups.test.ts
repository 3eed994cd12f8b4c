import { afterAll, beforeAll, expect, it } from "vitest";
import { loadStateGroup, loadStateGroups } from "../../src/storage/rooms/state-groups.ts";
import { latestEventAtStream, streamEventsDescMany } from "../../src/storage/sync/sync-rooms.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { RoomDriver } from "./helpers.ts";

let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());

it("batched reads agree with the one-at-a-time ones", async () => {
  const rooms = new RoomDriver(hs);
  const alice = await createTestUser(hs, "alice", { isAdmin: true });
  const a = await rooms.createRoom(alice, { name: "A" });
  const b = await rooms.createRoom(alice, { name: "B" });
  // Enough state changes for delta chains (and maybe snapshots) in the writer's state groups.
  for (let i = 0; i < 30; i++) await rooms.state(alice, i % 2 ? a : b, "m.room.topic", { topic: `t${i}` });
  await rooms.send(alice, a, "last");
  const upTo = hs.ctx.streams.events.persistedUpTo;
  const windows = [
    { roomId: a, upTo, limit: 40 },
    { roomId: b, after: 3, upTo, limit: 5, boundary: true },
  ];
  const batched = await streamEventsDescMany(hs.ctx.db, windows, {
    userId: alice.userId,
    deviceId: alice.deviceId,
  });
  expect(batched.events.get(b)).toHaveLength(5);
  // The delta's starting point comes with the rows: the group the single-room query finds at `after`.
  expect(batched.boundaries.get(b)).toBe((await latestEventAtStream(hs.ctx.db, b, 3))?.stateGroupAfter);
  expect(batched.boundaries.has(a)).toBe(false);
  const events = [...(batched.events.get(a) ?? []), ...(batched.events.get(b) ?? [])];
  const groups = events.flatMap((ev) => (ev.stateGroupAfter === null ? [] : [ev.stateGroupAfter]));
  const all = await loadStateGroups(hs.ctx.db, groups);
  for (const id of new Set(groups)) expect(all.get(id)).toEqual(await loadStateGroup(hs.ctx.db, id));
  expect(await loadStateGroups(hs.ctx.db, [])).toEqual(new Map());
});
