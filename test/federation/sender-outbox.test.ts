import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import { recordOutbound } from "../../src/federation/sender/outbox-writer.ts";
import { deliverOnce } from "../../src/federation/sender/transaction-worker.ts";
import { withRoomWrite } from "../../src/rooms/room-write.ts";
import type { DestinationWork } from "../../src/storage/federation/destination-work.ts";
import { getDestination } from "../../src/storage/federation/destinations.ts";
import { makeRoom } from "../rooms/helpers.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import {
  FakeFederationClient,
  joinRemoteUser,
  manualDriver,
  outboxCount,
  sendText,
  status,
  unreachable,
} from "./sender-support.ts";

/*
 * The outbox and transaction building, stepped by hand (a driver that never runs by itself), so each
 * transaction's content is deterministic.
 */
describe("federation sender: outbox and transactions", () => {
  let hs: TestHomeserver;
  const client = new FakeFederationClient();
  const manual = manualDriver();
  const alice = "@alice:hearth.test";

  beforeAll(async () => {
    hs = await startTestHomeserver({}, { senderClient: client, sender: { driver: manual.driver } });
  });
  afterAll(async () => {
    await hs?.destroy();
  });

  /** Steps delivery to `destination` until it has nothing left; returns the steps' outcomes. */
  async function drain(destination: string): Promise<string[]> {
    const kinds: string[] = [];
    for (;;) {
      const outcome = await deliverOnce(manual.deps(), destination, true);
      kinds.push(outcome.kind);
      if (outcome.kind !== "sent") return kinds;
    }
  }

  it("writes no outbox rows for a room with only local members", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    await sendText(hs.ctx, roomId, alice, "hello");
    expect(await outboxCount(hs.ctx)).toBe(0);
    expect(await drain("nobody.test")).toEqual(["idle"]);
  });

  it("queues local events for each remote server with a joined member, in order, batched by 50", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@bob:b.test");
    await joinRemoteUser(hs.ctx, roomId, "@carol:c.test");
    // The remote joins themselves are not ours to send.
    expect(await outboxCount(hs.ctx)).toBe(0);
    const bodies = Array.from({ length: 120 }, (_, i) => `m${i}`);
    for (const body of bodies) await sendText(hs.ctx, roomId, alice, body);
    expect(await outboxCount(hs.ctx, "b.test")).toBe(120);
    expect(await outboxCount(hs.ctx, "c.test")).toBe(120);
    expect(await outboxCount(hs.ctx, "hearth.test")).toBe(0);

    expect(await drain("b.test")).toEqual(["sent", "sent", "sent", "idle"]);
    const txns = client.delivered.get("b.test")!;
    expect(txns.map((t) => (t.body.pdus as unknown[]).length)).toEqual([50, 50, 20]);
    expect(new Set(txns.map((t) => t.txnId)).size).toBe(3);
    expect(client.deliveredBodies("b.test")).toEqual(bodies);
    for (const t of txns) {
      expect(t.body.origin).toBe("hearth.test");
      expect(typeof t.body.origin_server_ts).toBe("number");
      expect(t.body.edus).toEqual([]);
    }
    expect(await outboxCount(hs.ctx, "b.test")).toBe(0);
    // c.test is independent and still has everything.
    expect(await outboxCount(hs.ctx, "c.test")).toBe(120);
    // Stepped as the driver steps it, each step starting from what the one before read ahead (while its
    // request was in flight, without its own rows): the same transactions.
    // The statement finishing each transaction records the next one, as a start would have.
    const sizes: number[] = [];
    const recordedIds: string[] = [];
    let next: DestinationWork | undefined;
    for (;;) {
      const outcome = await deliverOnce(manual.deps(), "c.test", true, next);
      if (outcome.kind !== "sent") break;
      next = outcome.next;
      sizes.push(next?.pdus.length ?? -1);
      const recorded = (await getDestination(hs.ctx.db, "c.test")).pending;
      expect(next?.state).toEqual({ destination: "c.test", failures: 0, retryAtTs: null, pending: recorded });
      expect(recorded?.pdus ?? []).toEqual(next?.pdus.map((p) => p.streamOrdering));
      if (recorded) recordedIds.push(recorded.txnId);
    }
    expect(sizes).toEqual([50, 20, 0]);
    expect(recordedIds).toHaveLength(2);
    expect(
      client.delivered
        .get("c.test")!
        .map((t) => t.txnId)
        .slice(1),
    ).toEqual(recordedIds);
    expect(client.delivered.get("c.test")!.map((t) => (t.body.pdus as unknown[]).length)).toEqual([
      50, 50, 20,
    ]);
    expect(client.deliveredBodies("c.test")).toEqual(bodies);
    expect(await outboxCount(hs.ctx, "c.test")).toBe(0);
  });

  it("fans a remote event out to the other servers, never back to its origin", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@x:x.test");
    await joinRemoteUser(hs.ctx, roomId, "@y:y.test");
    const event = {
      event_id: "$fanned-out",
      type: "m.room.message",
      sender: "@x:x.test",
      content: { body: "from x" },
    } as unknown as IdentifiedPdu;
    const destinations = await withRoomWrite(hs.ctx, roomId, async (tx, position) => {
      const value = await recordOutbound(hs.ctx, tx, {
        roomId,
        event,
        streamOrdering: position,
        builtOn: [],
        extremitiesAfter: undefined,
        membershipChanged: false,
      });
      return { value };
    });
    expect(destinations).toEqual(["y.test"]);
    expect(await outboxCount(hs.ctx, "x.test")).toBe(0);
    expect(await outboxCount(hs.ctx, "y.test")).toBe(1);
  });

  it("sends a kick to the kicked user's server, and nothing there afterwards", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@dave:d.test");
    await sendText(hs.ctx, roomId, alice, "before");
    const { sendLocalEvent } = await import("../../src/rooms/send-event.ts");
    await sendLocalEvent(hs.ctx, {
      roomId,
      sender: alice,
      draft: { type: "m.room.member", stateKey: "@dave:d.test", content: { membership: "leave" } },
    });
    await sendText(hs.ctx, roomId, alice, "after");
    await drain("d.test");
    const pdus = client.deliveredPdus("d.test");
    expect(pdus.map((p) => p.type)).toEqual(["m.room.message", "m.room.member"]);
    expect(pdus[1]!.state_key).toBe("@dave:d.test");
    expect(await outboxCount(hs.ctx, "d.test")).toBe(0);
  });

  it("resends an unanswered transaction unchanged, with the same id", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@erin:e.test");
    await sendText(hs.ctx, roomId, alice, "one");
    client.behave("e.test", status(502));
    expect((await deliverOnce(manual.deps(), "e.test", true)).kind).toBe("wait");
    await sendText(hs.ctx, roomId, alice, "two");
    client.behave("e.test", unreachable);
    expect((await deliverOnce(manual.deps(), "e.test", true)).kind).toBe("wait");
    expect((await getDestination(hs.ctx.db, "e.test")).failures).toBe(2);
    client.behave("e.test", undefined);
    expect(await drain("e.test")).toEqual(["sent", "sent", "idle"]);
    const attempts = client.attempts.filter((a) => a.destination === "e.test");
    expect(attempts).toHaveLength(4);
    expect(attempts[1]!.txnId).toBe(attempts[0]!.txnId);
    expect(attempts[2]!.txnId).toBe(attempts[0]!.txnId);
    expect(attempts[2]!.body).toEqual(attempts[0]!.body);
    expect(attempts[3]!.txnId).not.toBe(attempts[0]!.txnId);
    expect(client.deliveredBodies("e.test")).toEqual(["one", "two"]);
    const state = await getDestination(hs.ctx.db, "e.test");
    expect(state.failures).toBe(0);
    expect(state.retryAtTs).toBeNull();
    expect(state.pending).toBeUndefined();
  });

  it("respects the backoff unless forced", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@fay:f.test");
    await sendText(hs.ctx, roomId, alice, "x");
    client.behave("f.test", status(500));
    const first = await deliverOnce(manual.deps(), "f.test", true);
    expect(first.kind).toBe("wait");
    const before = client.attempts.length;
    const second = await deliverOnce(manual.deps(), "f.test", false);
    expect(second).toEqual(first);
    expect(client.attempts.length).toBe(before);
    client.behave("f.test", undefined);
    expect(await drain("f.test")).toEqual(["sent", "idle"]);
  });

  it("drops a transaction the destination refuses with a 4xx and moves on", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@gus:g.test");
    await sendText(hs.ctx, roomId, alice, "refused");
    client.behave("g.test", status(400));
    expect((await deliverOnce(manual.deps(), "g.test", true)).kind).toBe("sent");
    expect(await outboxCount(hs.ctx, "g.test")).toBe(0);
    client.behave("g.test", undefined);
    await sendText(hs.ctx, roomId, alice, "accepted");
    await drain("g.test");
    expect(client.deliveredBodies("g.test")).toEqual(["accepted"]);
    expect((await getDestination(hs.ctx.db, "g.test")).failures).toBe(0);
  });

  it("honours Retry-After on 429 without counting a failure", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@hal:h.test");
    await sendText(hs.ctx, roomId, alice, "slow down");
    client.behave("h.test", status(429, { "retry-after": "120" }));
    const now = hs.ctx.clock();
    const outcome = await deliverOnce(manual.deps(), "h.test", true);
    expect(outcome.kind).toBe("wait");
    if (outcome.kind !== "wait") throw new Error("unreachable");
    expect(outcome.at).toBeGreaterThanOrEqual(now + 120_000);
    expect((await getDestination(hs.ctx.db, "h.test")).failures).toBe(0);
    client.behave("h.test", undefined);
    await drain("h.test");
    expect(client.deliveredBodies("h.test")).toEqual(["slow down"]);
  });

  it("catches a destination far behind after an outage up with each room's latest events only", async () => {
    const room1 = (await makeRoom(hs.ctx, alice, { preset: "public_chat" })).roomId;
    const room2 = (await makeRoom(hs.ctx, alice, { preset: "public_chat" })).roomId;
    await joinRemoteUser(hs.ctx, room1, "@ivy:i.test");
    await joinRemoteUser(hs.ctx, room2, "@ivy:i.test");
    await sendText(hs.ctx, room1, alice, "first");
    client.behave("i.test", unreachable);
    expect((await deliverOnce(manual.deps(), "i.test", true)).kind).toBe("wait");
    for (let i = 0; i < 80; i++) {
      await sendText(hs.ctx, room1, alice, `r1-${i}`);
      await sendText(hs.ctx, room2, alice, `r2-${i}`);
    }
    expect(await outboxCount(hs.ctx, "i.test")).toBe(161);
    client.behave("i.test", undefined);
    expect(await drain("i.test")).toEqual(["sent", "sent", "idle"]);
    // The transaction in flight first, unchanged; then the latest event of each room.
    expect(client.deliveredBodies("i.test")).toEqual(["first", "r1-79", "r2-79"]);
    expect(await outboxCount(hs.ctx, "i.test")).toBe(0);
  });

  it("sends everything missed when the backlog is small", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@jo:j.test");
    client.behave("j.test", unreachable);
    await sendText(hs.ctx, roomId, alice, "0");
    await deliverOnce(manual.deps(), "j.test", true);
    const bodies = ["0"];
    for (let i = 1; i < 60; i++) {
      bodies.push(String(i));
      await sendText(hs.ctx, roomId, alice, String(i));
    }
    client.behave("j.test", undefined);
    await drain("j.test");
    expect(client.deliveredBodies("j.test")).toEqual(bodies);
  });

  it("batches EDUs: durable ones up to 100 per transaction, typing coalesced in memory", async () => {
    const sender = hs.ctx.federation.sender;
    for (let i = 0; i < 130; i++) {
      await sender.queueEdu("k.test", "m.direct_to_device", { message_id: `m${i}`, sender: alice });
    }
    const typing = (typingNow: boolean) => ({ room_id: "!r:hearth.test", user_id: alice, typing: typingNow });
    await sender.queueEdu("k.test", "m.typing", typing(true));
    await sender.queueEdu("k.test", "m.typing", typing(false));
    expect(await drain("k.test")).toEqual(["sent", "sent", "idle"]);
    const txns = client.delivered.get("k.test")!;
    expect(txns.map((t) => (t.body.edus as unknown[]).length)).toEqual([100, 31]);
    const edus = client.deliveredEdus("k.test");
    expect(
      edus
        .filter((e) => e.edu_type === "m.direct_to_device")
        .map((e) => (e.content as { message_id: string }).message_id),
    ).toEqual(Array.from({ length: 130 }, (_, i) => `m${i}`));
    expect(edus.filter((e) => e.edu_type === "m.typing").map((e) => e.content)).toEqual([typing(false)]);
    const left = await hs.ctx.db
      .selectFrom("federation_outbox_edus")
      .select("edu_id")
      .where("destination", "=", "k.test")
      .execute();
    expect(left).toHaveLength(0);
  });

  it("rides EDUs along with PDUs in one transaction", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, "@lu:l.test");
    await sendText(hs.ctx, roomId, alice, "with edu");
    await hs.ctx.federation.sender.queueEdu("l.test", "m.receipt", { [roomId]: {} });
    expect(await drain("l.test")).toEqual(["sent", "idle"]);
    const [txn] = client.delivered.get("l.test")!;
    expect((txn!.body.pdus as unknown[]).length).toBe(1);
    expect(txn!.body.edus).toEqual([{ edu_type: "m.receipt", content: { [roomId]: {} } }]);
  });
});
