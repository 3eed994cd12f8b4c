import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession, type Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc, RoomDriver } from "../sync/helpers.ts";
import { deviceKeys, newKey } from "./e2ee-support.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let n = 0;
let txn = 0;
beforeAll(async () => {
  hs = await startTestHomeserver();
  rooms = new RoomDriver(hs);
});
afterAll(() => hs?.destroy());

type Json = Record<string, unknown>;
const user = (name: string, deviceId?: string): Promise<Session> =>
  createTestUser(hs, `${name}${++n}`, { deviceId });
const send = (s: Session, messages: Json, txnId = `t${++txn}`, type = "m.test") =>
  call(hs, s, "PUT", `/sendToDevice/${enc(type)}/${enc(txnId)}`, { messages });
const toDevice = (body: Json): Json[] => (body.to_device as { events: Json[] }).events;
const deviceLists = (body: Json): { changed: string[]; left: string[] } =>
  body.device_lists as { changed: string[]; left: string[] };

describe("sendToDevice and to_device in /sync", () => {
  it("queues per device until the device syncs past it, in order; '*' reaches every device", async () => {
    const alice = await user("alice");
    const bob = await user("bob", "B1");
    const bob2 = await startSession(hs.ctx, bob.userId, { deviceId: "B2" });
    const initial = await rooms.sync(bob);
    expect(toDevice(initial)).toEqual([]);

    expect((await send(alice, { [bob.userId]: { B1: { n: 1 } } })).status).toBe(200);
    expect((await send(alice, { [bob.userId]: { "*": { n: 2 } } })).status).toBe(200);
    const since = initial.next_batch as string;
    const first = await rooms.sync(bob, { since });
    expect(toDevice(first)).toEqual([
      { sender: alice.userId, type: "m.test", content: { n: 1 } },
      { sender: alice.userId, type: "m.test", content: { n: 2 } },
    ]);
    // Not acknowledged yet: the same since gets them again (at-least-once).
    expect(toDevice(await rooms.sync(bob, { since }))).toHaveLength(2);
    // Syncing from the later token acknowledges and deletes them.
    expect(toDevice(await rooms.sync(bob, { since: first.next_batch as string }))).toEqual([]);
    const left = await hs.ctx.db
      .selectFrom("to_device_inbox")
      .select("stream_id")
      .where("user_id", "=", bob.userId)
      .where("device_id", "=", "B1")
      .execute();
    expect(left).toEqual([]);
    // B2 only got the broadcast.
    expect(toDevice(await rooms.sync(bob2))).toEqual([
      { sender: alice.userId, type: "m.test", content: { n: 2 } },
    ]);
  });

  it("is idempotent per sending device and transaction id; unknown devices and users get nothing", async () => {
    const alice = await user("alice");
    const bob = await user("bob", "B1");
    const start = await rooms.sync(bob);
    await send(alice, { [bob.userId]: { B1: { n: 1 } } }, "same");
    await send(alice, { [bob.userId]: { B1: { n: 1 } } }, "same");
    const other = await startSession(hs.ctx, alice.userId, { deviceId: "A2" });
    await send(other, { [bob.userId]: { B1: { n: 2 } } }, "same");
    expect(
      (await send(alice, { [bob.userId]: { NOPE: { n: 3 } }, "@ghost:hearth.test": { "*": {} } })).status,
    ).toBe(200);
    const body = await rooms.sync(bob, { since: start.next_batch as string });
    expect(toDevice(body).map((e) => e.content)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("refuses oversized and malformed messages", async () => {
    const alice = await user("alice");
    const bob = await user("bob", "B1");
    const big = await send(alice, { [bob.userId]: { B1: { blob: "x".repeat(65_537) } } });
    expect({ status: big.status, errcode: big.body.errcode }).toEqual({
      status: 413,
      errcode: "M_TOO_LARGE",
    });
    for (const [messages, errcode] of [
      [undefined, "M_BAD_JSON"],
      [[], "M_BAD_JSON"],
      [{ notauser: { B1: {} } }, "M_INVALID_PARAM"],
      [{ [bob.userId]: ["B1"] }, "M_BAD_JSON"],
      [{ [bob.userId]: { B1: "text" } }, "M_BAD_JSON"],
    ] as const) {
      const res = await send(alice, messages as never);
      expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 400, errcode });
    }
    expect(toDevice(await rooms.sync(bob))).toEqual([]);
  });

  it("sends at most 100 per sync; the token then continues after the last one sent", async () => {
    const alice = await user("alice");
    const bob = await user("bob", "B1");
    for (let i = 0; i < 105; i++) await send(alice, { [bob.userId]: { B1: { i } } });
    const first = await rooms.sync(bob);
    expect(toDevice(first).map((e) => (e.content as Json).i)).toEqual([...Array(100).keys()]);
    const second = await rooms.sync(bob, { since: first.next_batch as string });
    expect(toDevice(second).map((e) => (e.content as Json).i)).toEqual([100, 101, 102, 103, 104]);
  });

  it("wakes the recipient's long-poll", async () => {
    const alice = await user("alice");
    const bob = await user("bob", "B1");
    const start = await rooms.sync(bob);
    const polling = rooms.sync(bob, { since: start.next_batch as string, timeout: "30000" });
    await until(() => hs.ctx.notifier.waiting > 0);
    await send(alice, { [bob.userId]: { B1: { wake: true } } });
    expect(toDevice(await polling)).toEqual([
      { sender: alice.userId, type: "m.test", content: { wake: true } },
    ]);
  });

  it("deleting the device deletes its queue", async () => {
    const alice = await user("alice");
    const bob = await user("bob", "B1");
    await send(alice, { [bob.userId]: { B1: { n: 1 } } });
    expect((await call(hs, bob, "POST", "/logout", {})).status).toBe(200);
    const rows = await hs.ctx.db
      .selectFrom("to_device_inbox")
      .select("stream_id")
      .where("user_id", "=", bob.userId)
      .execute();
    expect(rows).toEqual([]);
  });
});

describe("device_lists in /sync and keys/changes", () => {
  it("reports key uploads, new devices and logouts of users sharing a room, and users who newly share or stop sharing one", async () => {
    const alice = await user("alice", "A1");
    const bob = await user("bob", "B1");
    const carol = await user("carol", "C1");
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    expect((await call(hs, bob, "POST", `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
    const t0 = (await rooms.sync(alice)).next_batch as string;

    // Bob uploads device keys: Alice's long-poll wakes with bob in changed.
    const polling = rooms.sync(alice, { since: t0, timeout: "30000" });
    await until(() => hs.ctx.notifier.waiting > 0);
    await call(hs, bob, "POST", "/keys/upload", { device_keys: deviceKeys(bob.userId, "B1", newKey()) });
    const woken = await polling;
    expect(deviceLists(woken).changed).toContain(bob.userId);
    const t1 = woken.next_batch as string;

    // Carol (no shared room) changes keys: not reported. Then she joins: reported as newly shared.
    await call(hs, carol, "POST", "/keys/upload", { device_keys: deviceKeys(carol.userId, "C1", newKey()) });
    expect(deviceLists(await rooms.sync(alice, { since: t1 })).changed).not.toContain(carol.userId);
    expect((await call(hs, carol, "POST", `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
    const afterJoin = await rooms.sync(alice, { since: t1 });
    expect(deviceLists(afterJoin).changed).toContain(carol.userId);
    const t2 = afterJoin.next_batch as string;

    // Bob logs out: his device list changed. Carol leaves: she is in left.
    await call(hs, bob, "POST", "/logout", {});
    expect((await call(hs, carol, "POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    const after = await rooms.sync(alice, { since: t2 });
    expect(deviceLists(after).changed).toContain(bob.userId);
    expect(deviceLists(after).left).toEqual([carol.userId]);
    expect(deviceLists(after).changed).not.toContain(carol.userId);

    // keys/changes over the whole stretch says the same.
    const changes = await call(
      hs,
      alice,
      "GET",
      `/keys/changes?from=${enc(t0)}&to=${enc(after.next_batch as string)}`,
    );
    expect(changes.status).toBe(200);
    expect(changes.body.changed).toContain(bob.userId);
    expect(changes.body.left).toEqual([carol.userId]);
  });

  it("reports a login on a new device and a device rename", async () => {
    const alice = await user("alice", "A1");
    const bob = await createTestUser(hs, `bob${++n}`, { deviceId: "B1", password: "bob-pw" });
    const roomId = await rooms.createRoom(alice, { preset: "public_chat" });
    expect((await call(hs, bob, "POST", `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
    const t0 = (await rooms.sync(alice)).next_batch as string;
    const login = await hs.app().request("/_matrix/client/v3/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: bob.userId },
        password: "bob-pw",
      }),
    });
    expect(login.status).toBe(200);
    const t1 = await rooms.sync(alice, { since: t0 });
    expect(deviceLists(t1).changed).toEqual([bob.userId]);
    expect(deviceLists(await rooms.sync(alice, { since: t1.next_batch as string })).changed).toEqual([]);
    expect((await call(hs, bob, "PUT", "/devices/B1", { display_name: "Bob's laptop" })).status).toBe(200);
    expect(deviceLists(await rooms.sync(alice, { since: t1.next_batch as string })).changed).toEqual([
      bob.userId,
    ]);
  });

  it("keys/changes refuses missing or malformed tokens", async () => {
    const alice = await user("alice");
    const missing = await call(hs, alice, "GET", "/keys/changes?from=s1");
    expect({ status: missing.status, errcode: missing.body.errcode }).toEqual({
      status: 400,
      errcode: "M_MISSING_PARAM",
    });
    const bad = await call(hs, alice, "GET", "/keys/changes?from=s1&to=garbage");
    expect({ status: bad.status, errcode: bad.body.errcode }).toEqual({
      status: 400,
      errcode: "M_INVALID_PARAM",
    });
  });
});

/** Lets pending I/O run until `done()` holds (the long-poll registering its waiter). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (done()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("gave up waiting");
}
