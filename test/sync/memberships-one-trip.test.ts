import { afterAll, beforeAll, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { usersWithMembershipChanges } from "../../src/storage/e2ee/device-lists.ts";
import {
  membershipChanges,
  membershipsAndChangesMany,
  membershipsAt,
} from "../../src/storage/sync/sync-rooms.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc, RoomDriver } from "./helpers.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let alice: Session;
let bob: Session;
let carol: Session;
beforeAll(async () => {
  hs = await startTestHomeserver();
  rooms = new RoomDriver(hs);
  alice = await createTestUser(hs, "alice", { isAdmin: true });
  bob = await createTestUser(hs, "bob", { isAdmin: true });
  carol = await createTestUser(hs, "carol", { isAdmin: true });
});
afterAll(() => hs?.destroy());

const position = (): number => hs.ctx.streams.events.persistedUpTo;

/** One window's answer. */
async function membershipsAndChanges(userId: string, after: number, upTo: number) {
  const [one] = await membershipsAndChangesMany(hs.ctx.db, [{ userId, after, upTo }]);
  return one!;
}

it("reads in one trip what membershipsAt, membershipChanges and usersWithMembershipChanges read", async () => {
  const stays = await rooms.createRoom(alice, { preset: "public_chat" });
  const leaves = await rooms.createRoom(alice, { preset: "public_chat" });
  const invited = await rooms.createRoom(carol, { preset: "private_chat" });
  for (const roomId of [stays, leaves]) {
    for (const who of [bob, carol])
      expect((await call(hs, who, "POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  }
  const after = position();
  // In the window: carol leaves a room bob stays in, bob leaves another, carol invites bob elsewhere.
  expect((await call(hs, carol, "POST", `/rooms/${enc(stays)}/leave`, {})).status).toBe(200);
  expect((await call(hs, bob, "POST", `/rooms/${enc(leaves)}/leave`, {})).status).toBe(200);
  await rooms.send(alice, stays, "hello");
  expect(
    (await call(hs, carol, "POST", `/rooms/${enc(invited)}/invite`, { user_id: bob.userId })).status,
  ).toBe(200);
  const upTo = position();
  // Past the snapshot: bob's current row in `stays` is newer than upTo (he leaves after it).
  expect((await call(hs, bob, "POST", `/rooms/${enc(stays)}/leave`, {})).status).toBe(200);

  const got = await membershipsAndChanges(bob.userId, after, upTo);
  const now = await membershipsAt(hs.ctx.db, bob.userId, upTo);
  const changes = await membershipChanges(hs.ctx.db, bob.userId, after, upTo);
  expect(got.now).toEqual(now);
  expect(got.now.get(stays)?.membership).toBe("join");
  expect(got.changes).toEqual(changes);
  expect(got.changes.map((c) => [c.roomId, c.membership])).toEqual([
    [leaves, "leave"],
    [invited, "invite"],
  ]);
  const joinedAtUpTo = [...now.values()].filter((m) => m.membership === "join").map((m) => m.roomId);
  const expected = await usersWithMembershipChanges(
    hs.ctx.db,
    [...joinedAtUpTo, leaves, invited],
    after,
    upTo,
  );
  expect([...got.departed].sort()).toEqual([...expected].sort());
  expect([...got.departed].sort()).toEqual([bob.userId, carol.userId].sort());
  // An empty window: nothing changed, nobody departed.
  const quiet = await membershipsAndChanges(bob.userId, upTo, upTo);
  expect(quiet.changes).toEqual([]);
  expect(quiet.departed).toEqual([]);
  // Several windows (of one user or several) in one query: each answered as if asked alone.
  const many = await membershipsAndChangesMany(hs.ctx.db, [
    { userId: bob.userId, after, upTo },
    { userId: carol.userId, after, upTo },
    { userId: bob.userId, after: upTo, upTo },
  ]);
  expect(many).toHaveLength(3);
  expect(many[0]).toEqual(got);
  expect(many[1]).toEqual(await membershipsAndChanges(carol.userId, after, upTo));
  expect(many[1]!.now.get(invited)?.membership).toBe("join");
  expect(many[2]).toEqual(quiet);
  expect(await membershipsAndChangesMany(hs.ctx.db, [])).toEqual([]);
});
