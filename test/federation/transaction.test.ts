import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.ts";
import { MatrixError } from "../../src/errors.ts";
import { processTransaction } from "../../src/federation/inbound/transaction.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { getEvent } from "../../src/storage/rooms/events.ts";
import { getPresence } from "../../src/storage/sync/presence.ts";
import { getReceipt } from "../../src/storage/sync/receipts.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { roomWithRemoteMember } from "./inbound-fakes.ts";

let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver({ server_name: "hs1.test" });
});
afterAll(() => hs?.destroy());

const alice = "@alice:hs1.test";
const bob = "@bob:hs2.test";
const msg = (body: string) => ({ type: "m.room.message", content: { msgtype: "m.text", body } });

async function setup() {
  const { remote, peers, roomId } = await roomWithRemoteMember(hs.ctx, { creator: alice, member: bob });
  const send = (txnId: string, body: JsonObject, origin = "hs2.test") =>
    processTransaction(hs.ctx, peers, hs.ctx.federationInbound, origin, txnId, body);
  return { remote, peers, roomId, send };
}

let txn = 0;
const nextTxn = () => `t${++txn}`;

describe("PUT /send transactions", () => {
  it("answers per PDU and processes a transaction only once", async () => {
    const { remote, roomId, send } = await setup();
    const m = await remote.build(hs.ctx, roomId, bob, msg("hi"));
    const id = nextTxn();
    const first = await send(id, {
      origin: "hs2.test",
      origin_server_ts: 1,
      pdus: [remote.wire(m)],
      edus: [],
    });
    expect(first).toEqual({ pdus: { [m.event_id]: {} } });
    // A retry (even with a different body) gets the recorded answer and is not processed again.
    const other = await remote.build(hs.ctx, roomId, bob, msg("other"));
    const again = await send(id, { pdus: [remote.wire(other)] });
    expect(again).toEqual(first);
    expect(await getEvent(hs.ctx.db, other.event_id)).toBeUndefined();
    // Concurrent duplicates share one processing.
    const id2 = nextTxn();
    const [a, b] = await Promise.all([send(id2, { pdus: [remote.wire(other)] }), send(id2, { pdus: [] })]);
    expect(a).toEqual({ pdus: { [other.event_id]: {} } });
    expect(b).toEqual(a);
  });

  it("refuses transactions over the size limits", async () => {
    const { send } = await setup();
    const tooMany = Array.from({ length: 51 }, () => ({}));
    await expect(send(nextTxn(), { pdus: tooMany })).rejects.toMatchObject({
      status: 400,
      errcode: "M_BAD_JSON",
    });
    await expect(send(nextTxn(), { edus: Array.from({ length: 101 }, () => ({})) })).rejects.toBeInstanceOf(
      MatrixError,
    );
    await expect(send(nextTxn(), { pdus: "nope" })).rejects.toMatchObject({ status: 400 });
  });

  it("rejects PDUs whose sender is not on the origin server", async () => {
    const { remote, roomId, send } = await setup();
    const m = await remote.build(hs.ctx, roomId, bob, msg("relayed"));
    const res = await send(nextTxn(), { pdus: [remote.wire(m)] }, "hs3.test");
    expect(res).toEqual({ pdus: { [m.event_id]: { error: "sender is not on the origin server" } } });
    expect(await getEvent(hs.ctx.db, m.event_id)).toBeUndefined();
  });

  it("lets a resident server relay a user's own join, still checking the user's server's signature", async () => {
    const { remote, roomId, send } = await setup();
    const carol = "@carol:hs3.test";
    const join = await remote.build(hs.ctx, roomId, carol, {
      type: "m.room.member",
      stateKey: carol,
      content: { membership: "join" },
    });
    // Past the origin check, but hs3.test's signature is missing (hs2 signed it): dropped.
    const res = await send(nextTxn(), { pdus: [remote.wire(join)] });
    expect(res).toEqual({ pdus: { [join.event_id]: { error: expect.stringMatching(/signature/) } } });
    // A message from hs3's user relayed by hs2 is refused outright.
    const m = await remote.build(hs.ctx, roomId, carol, msg("relayed"));
    const res2 = await send(nextTxn(), { pdus: [remote.wire(m)] });
    expect(res2).toEqual({ pdus: { [m.event_id]: { error: "sender is not on the origin server" } } });
  });

  it("enforces the room's server ACL on PDUs and EDUs", async () => {
    const { remote, roomId, send } = await setup();
    await sendLocalEvent(hs.ctx, {
      roomId,
      sender: alice,
      draft: { type: "m.room.server_acl", stateKey: "", content: { allow: ["*"], deny: ["hs2.test"] } },
    });
    const m = await remote.build(hs.ctx, roomId, bob, msg("banned"));
    const res = await send(nextTxn(), {
      pdus: [remote.wire(m)],
      edus: [{ edu_type: "m.typing", content: { room_id: roomId, user_id: bob, typing: true } }],
    });
    expect(res).toEqual({ pdus: { [m.event_id]: { error: "server is banned by the room's ACL" } } });
    expect(await getEvent(hs.ctx.db, m.event_id)).toBeUndefined();
    expect(hs.ctx.sync.typing.typingUsers(roomId)).toEqual([]);
  });

  it("applies typing, receipt and presence EDUs from the user's own server only", async () => {
    const { remote, roomId, send } = await setup();
    const m = await remote.build(hs.ctx, roomId, bob, msg("read me"));
    await send(nextTxn(), {
      pdus: [remote.wire(m)],
      edus: [
        { edu_type: "m.typing", content: { room_id: roomId, user_id: bob, typing: true } },
        {
          edu_type: "m.receipt",
          content: { [roomId]: { "m.read": { [bob]: { event_ids: [m.event_id], data: { ts: 5 } } } } },
        },
        {
          edu_type: "m.presence",
          content: { push: [{ user_id: bob, presence: "online", last_active_ago: 10 }] },
        },
        { edu_type: "m.unknown", content: {} },
        "not an edu",
      ],
    });
    expect(hs.ctx.sync.typing.typingUsers(roomId)).toEqual([bob]);
    expect((await getReceipt(hs.ctx.db, roomId, "m.read", bob, undefined))?.eventId).toBe(m.event_id);
    expect((await getPresence(hs.ctx.db, bob))?.state).toBe("online");
    const stranger = "@stranger:hs2.test";
    await send(nextTxn(), {
      edus: [{ edu_type: "m.presence", content: { push: [{ user_id: stranger, presence: "online" }] } }],
    });
    expect(await getPresence(hs.ctx.db, stranger)).toBeUndefined();

    // hs3 speaking for hs2's user, or for a user not in the room, changes nothing.
    await send(
      nextTxn(),
      { edus: [{ edu_type: "m.typing", content: { room_id: roomId, user_id: bob, typing: false } }] },
      "hs3.test",
    );
    expect(hs.ctx.sync.typing.typingUsers(roomId)).toEqual([bob]);
    await send(nextTxn(), {
      edus: [
        { edu_type: "m.typing", content: { room_id: roomId, user_id: "@carol:hs2.test", typing: true } },
      ],
    });
    expect(hs.ctx.sync.typing.typingUsers(roomId)).toEqual([bob]);
    await send(nextTxn(), {
      edus: [{ edu_type: "m.typing", content: { room_id: roomId, user_id: bob, typing: false } }],
    });
    expect(hs.ctx.sync.typing.typingUsers(roomId)).toEqual([]);
  });

  it("routes registered EDU types to their handler", async () => {
    const { send } = await setup();
    const seen: Array<[string, JsonObject]> = [];
    hs.ctx.federationInbound.edus.register("m.direct_to_device", async (_ctx, origin, content) => {
      seen.push([origin, content]);
    });
    await send(nextTxn(), { edus: [{ edu_type: "m.direct_to_device", content: { message_id: "x" } }] });
    expect(seen).toEqual([["hs2.test", { message_id: "x" }]]);
  });
});
