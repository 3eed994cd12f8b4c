import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHomeserver } from "../../src/homeserver.ts";
import { getDestination } from "../../src/storage/federation/destinations.ts";
import { makeRoom } from "../rooms/helpers.ts";
import { startTestHomeserver, testConfig, type TestHomeserver } from "../support/homeserver.ts";
import { dropSchema } from "../support/database.ts";
import {
  FAST_BACKOFF,
  FakeFederationClient,
  gate,
  joinRemoteUser,
  outboxCount,
  sendText,
  status,
  unreachable,
} from "./sender-support.ts";

/* Delivery driven by the in-process driver: wake-ups after commit, one transaction in flight, backoff. */
describe("federation sender: in-process delivery", () => {
  let hs: TestHomeserver;
  const client = new FakeFederationClient();
  const alice = "@alice:hearth.test";

  beforeAll(async () => {
    hs = await startTestHomeserver({}, { senderClient: client, sender: { backoff: FAST_BACKOFF } });
  });
  afterAll(async () => {
    await hs?.destroy();
  });

  async function roomWith(remoteUser: string): Promise<string> {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await joinRemoteUser(hs.ctx, roomId, remoteUser);
    return roomId;
  }

  it("delivers after commit without being asked, in order", async () => {
    const roomId = await roomWith("@bob:b.test");
    for (let i = 0; i < 5; i++) await sendText(hs.ctx, roomId, alice, `hi ${i}`);
    await client.until(() => client.deliveredBodies("b.test").length === 5);
    expect(client.deliveredBodies("b.test")).toEqual(["hi 0", "hi 1", "hi 2", "hi 3", "hi 4"]);
    await hs.ctx.federation.sender.settled("b.test");
    expect(await outboxCount(hs.ctx, "b.test")).toBe(0);
  });

  it("keeps one transaction in flight per destination while others proceed", async () => {
    const slow = await roomWith("@carol:c.test");
    const fast = await roomWith("@dan:d.test");
    const held = gate();
    client.behave("c.test", held.behaviour);
    await sendText(hs.ctx, slow, alice, "c0");
    await held.started;
    const bodies = ["c0"];
    for (let i = 1; i <= 60; i++) {
      bodies.push(`c${i}`);
      await sendText(hs.ctx, slow, alice, `c${i}`);
    }
    // Another destination is not held up by the slow one.
    await sendText(hs.ctx, fast, alice, "d0");
    await client.until(() => client.deliveredBodies("d.test").length === 1);
    expect(client.attempts.filter((a) => a.destination === "c.test")).toHaveLength(1);
    held.release();
    await client.until(() => client.deliveredBodies("c.test").length === 61);
    expect(client.deliveredBodies("c.test")).toEqual(bodies);
    expect(client.maxInFlight.get("c.test")).toBe(1);
    // c0 alone, then the 60 queued meanwhile as 50 + 10.
    expect(client.delivered.get("c.test")!.map((t) => (t.body.pdus as unknown[]).length)).toEqual([
      1, 50, 10,
    ]);
  });

  it("backs off on failures and recovers, resending the same transaction", async () => {
    const roomId = await roomWith("@erin:e.test");
    let failuresLeft = 3;
    client.behave("e.test", (req) =>
      failuresLeft-- > 0 ? status(503)(req) : { status: 200, body: {}, headers: new Headers() },
    );
    await sendText(hs.ctx, roomId, alice, "persistent");
    await client.until(() => client.deliveredBodies("e.test").length === 1);
    const attempts = client.attempts.filter((a) => a.destination === "e.test");
    expect(attempts).toHaveLength(4);
    expect(new Set(attempts.map((a) => a.txnId)).size).toBe(1);
    await hs.ctx.federation.sender.settled("e.test");
    const state = await getDestination(hs.ctx.db, "e.test");
    expect(state.failures).toBe(0);
    expect(state.pending).toBeUndefined();
  });

  it("survives a partition: nothing lost, order kept, retried at once when the destination talks to us", async () => {
    const roomId = await roomWith("@fay:f.test");
    client.behave("f.test", unreachable);
    await sendText(hs.ctx, roomId, alice, "p0");
    await client.until(() => client.attempts.some((a) => a.destination === "f.test"));
    const bodies = ["p0"];
    for (let i = 1; i < 30; i++) {
      bodies.push(`p${i}`);
      await sendText(hs.ctx, roomId, alice, `p${i}`);
    }
    expect(client.deliveredBodies("f.test")).toEqual([]);
    client.behave("f.test", undefined);
    hs.ctx.federation.sender.destinationIsUp("f.test");
    await client.until(() => client.deliveredBodies("f.test").length === 30);
    expect(client.deliveredBodies("f.test")).toEqual(bodies);
    expect(client.maxInFlight.get("f.test")).toBe(1);
  });

  it("destinationIsUp cuts a long backoff short", async () => {
    const patient = new FakeFederationClient();
    const other = await startTestHomeserver(
      { server_name: "patient.test" },
      { senderClient: patient, sender: { backoff: { initialMs: 3_600_000, maxMs: 3_600_000 } } },
    );
    try {
      const bob = "@bob:patient.test";
      const { roomId } = await makeRoom(other.ctx, bob, { preset: "public_chat" });
      await joinRemoteUser(other.ctx, roomId, "@gus:g.test");
      patient.behave("g.test", unreachable);
      await sendText(other.ctx, roomId, bob, "wake up");
      await patient.until(() => patient.attempts.length === 1);
      patient.behave("g.test", undefined);
      // Without this the next attempt would be an hour away.
      other.ctx.federation.sender.destinationIsUp("g.test");
      await patient.until(() => patient.deliveredBodies("g.test").length === 1);
      expect(patient.attempts).toHaveLength(2);
    } finally {
      await other.destroy();
    }
  });

  it("a restart mid-transaction loses nothing: the next instance resends the same transaction", async () => {
    const config = await testConfig({ server_name: "restart.test" });
    const first = new FakeFederationClient();
    const held = gate();
    first.behave("h.test", held.behaviour);
    const hs1 = await createHomeserver(config, {
      senderClient: first,
      sender: { backoff: FAST_BACKOFF },
    });
    const carl = "@carl:restart.test";
    const { roomId } = await makeRoom(hs1.ctx, carl, { preset: "public_chat" });
    await joinRemoteUser(hs1.ctx, roomId, "@hal:h.test");
    await sendText(hs1.ctx, roomId, carl, "in flight");
    await held.started;
    await sendText(hs1.ctx, roomId, carl, "queued");
    await hs1.stop();
    // The old request answers after its process is gone: too late to count.
    held.release();

    const second = new FakeFederationClient();
    const hs2 = await createHomeserver(config, {
      senderClient: second,
      sender: { backoff: FAST_BACKOFF },
    });
    try {
      await second.until(() => second.deliveredBodies("h.test").length === 2);
      expect(second.deliveredBodies("h.test")).toEqual(["in flight", "queued"]);
      const [inFlight] = first.attempts;
      expect(second.attempts[0]!.txnId).toBe(inFlight!.txnId);
      expect(second.attempts[0]!.body).toEqual(inFlight!.body);
    } finally {
      await hs2.stop();
      await dropSchema(config.database.schema);
    }
  });
});
