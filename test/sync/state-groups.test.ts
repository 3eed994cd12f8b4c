import { afterAll, beforeAll, expect, it } from "vitest";
import { loadStateGroup, loadStateGroups } from "../../src/storage/rooms/state-groups.ts";
import { latestEventAtStream, streamEventsDescMany } from "../../src/storage/sync/sync-rooms.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc, RoomDriver } from "./helpers.ts";

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
  const reader = { userId: alice.userId, deviceId: alice.deviceId };
  const windows = [
    { roomId: a, upTo, limit: 40, reader },
    { roomId: b, after: 3, upTo, limit: 5, boundary: true, reader },
  ];
  const [inA, inB] = await streamEventsDescMany(hs.ctx.db, windows);
  expect(inB!.events).toHaveLength(5);
  // The delta's starting point comes with the rows: the group the single-room query finds at `after`.
  expect(inB!.boundary).toBe((await latestEventAtStream(hs.ctx.db, b, 3))?.stateGroupAfter);
  expect(inA!.boundary).toBeUndefined();
  const events = [...inA!.events, ...inB!.events];
  const groups = events.flatMap((ev) => (ev.stateGroupAfter === null ? [] : [ev.stateGroupAfter]));
  const all = await loadStateGroups(hs.ctx.db, groups);
  for (const id of new Set(groups)) expect(all.get(id)).toEqual(await loadStateGroup(hs.ctx.db, id));
  expect(await loadStateGroups(hs.ctx.db, [])).toEqual(new Map());
});

it("windows of several readers share one query, each told only its own device's transaction ids", async () => {
  const rooms = new RoomDriver(hs);
  const carol = await createTestUser(hs, "carol");
  const dan = await createTestUser(hs, "dan");
  const room = await rooms.createRoom(carol, { preset: "public_chat" });
  expect((await call(hs, dan, "POST", `/join/${enc(room)}`, {})).status).toBe(200);
  const after = hs.ctx.streams.events.persistedUpTo;
  const mine = await rooms.sendWithTxn(carol, room, "carol-txn", { msgtype: "m.text", body: "hi" });
  const theirs = await rooms.sendWithTxn(dan, room, "dan-txn", { msgtype: "m.text", body: "yo" });
  const upTo = hs.ctx.streams.events.persistedUpTo;
  const window = { roomId: room, after, upTo, limit: 10 };
  const [forCarol, forDan, forCarolOtherDevice] = await hs.ctx.sync.reads.timelineWindows([
    { ...window, reader: { userId: carol.userId, deviceId: carol.deviceId } },
    { ...window, reader: { userId: dan.userId, deviceId: dan.deviceId } },
    { ...window, reader: { userId: carol.userId, deviceId: "ELSEWHERE" } },
  ]);
  const txnIds = (rows: typeof forCarol) =>
    Object.fromEntries(rows!.events.map((ev) => [ev.eventId, ev.transactionId ?? null]));
  expect(txnIds(forCarol)).toEqual({ [theirs]: null, [mine]: "carol-txn" });
  expect(txnIds(forDan)).toEqual({ [theirs]: "dan-txn", [mine]: null });
  expect(txnIds(forCarolOtherDevice)).toEqual({ [theirs]: null, [mine]: null });
  // Newest first, each window on its own.
  expect(forCarol!.events.map((ev) => ev.eventId)).toEqual([theirs, mine]);
});
