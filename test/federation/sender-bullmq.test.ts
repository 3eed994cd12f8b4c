import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HearthConfig } from "../../src/config/schema.ts";
import { destinationLockKey } from "../../src/federation/sender/bullmq-driver.ts";
import { createHomeserver, type Homeserver } from "../../src/homeserver.ts";
import { makeRoom } from "../rooms/helpers.ts";
import { dropSchema } from "../support/database.ts";
import { testConfig } from "../support/homeserver.ts";
import {
  FAST_BACKOFF,
  FakeFederationClient,
  gate,
  joinRemoteUser,
  sendText,
  status,
} from "./sender-support.ts";

const redisUrl = process.env.REDIS_URL;

/*
 * The BullMQ driver against the real Redis at REDIS_URL: each test gets a queue prefix of its own, and
 * two instances on one schema stand for two sender processes.
 */
describe.skipIf(!redisUrl)(
  redisUrl
    ? "federation sender: BullMQ driver"
    : "federation sender: BullMQ driver (skipped: REDIS_URL unset)",
  () => {
    let config: HearthConfig;
    const prefixes: string[] = [];
    const running: Homeserver[] = [];
    const closers: Array<() => Promise<void>> = [];
    const alice = "@alice:bull.test";

    beforeAll(async () => {
      config = await testConfig({ server_name: "bull.test", redis: { url: redisUrl } });
    });
    afterAll(async () => {
      for (const close of closers) await close();
      for (const hs of running) await hs.stop();
      await dropSchema(config.database.schema);
      const redis = new Redis(redisUrl!);
      for (const prefix of prefixes) {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    });

    async function start(client: FakeFederationClient, prefix: string): Promise<Homeserver> {
      const hs = await createHomeserver(config, {
        senderClient: client,
        sender: { backoff: FAST_BACKOFF, queuePrefix: prefix },
      });
      running.push(hs);
      return hs;
    }

    function newPrefix(): string {
      const base = `hearth-test-${randomBytes(6).toString("hex")}`;
      prefixes.push(base);
      return base;
    }

    async function roomWith(hs: Homeserver, remoteUser: string): Promise<string> {
      const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
      await joinRemoteUser(hs.ctx, roomId, remoteUser);
      return roomId;
    }

    it("delivers in order, backs off with delayed jobs and resends the same transaction", async () => {
      const client = new FakeFederationClient();
      const hs = await start(client, newPrefix());
      const roomId = await roomWith(hs, "@bob:b.test");
      let failures = 2;
      client.behave("b.test", (req) =>
        failures-- > 0 ? status(500)(req) : { status: 200, body: {}, headers: new Headers() },
      );
      const bodies = Array.from({ length: 8 }, (_, i) => `b${i}`);
      for (const body of bodies) await sendText(hs.ctx, roomId, alice, body);
      await client.until(() => client.deliveredBodies("b.test").length === bodies.length);
      expect(client.deliveredBodies("b.test")).toEqual(bodies);
      const attempts = client.attempts.filter((a) => a.destination === "b.test");
      expect(attempts[1]!.txnId).toBe(attempts[0]!.txnId);
      expect(attempts[2]!.txnId).toBe(attempts[0]!.txnId);
      expect(client.maxInFlight.get("b.test")).toBe(1);
    });

    it("two processes on one queue never send to one destination at once, and lose nothing", async () => {
      const prefix = newPrefix();
      const client = new FakeFederationClient();
      const one = await start(client, prefix);
      const two = await start(client, prefix);
      const roomId = await roomWith(one, "@carol:c.test");
      const held = gate();
      client.behave("c.test", held.behaviour);
      await sendText(one.ctx, roomId, alice, "c0");
      await held.started;
      const bodies = ["c0"];
      for (let i = 1; i <= 20; i++) {
        bodies.push(`c${i}`);
        // One process writes rooms (stream positions live in the writer); both wake the shared queue.
        await sendText(one.ctx, roomId, alice, `c${i}`);
        two.ctx.federation.sender.wake(["c.test"]);
      }
      held.release();
      await client.until(() => client.deliveredBodies("c.test").length === bodies.length);
      expect(client.deliveredBodies("c.test")).toEqual(bodies);
      expect(client.maxInFlight.get("c.test")).toBe(1);
    });

    it("waits while another process holds the destination's lock", async () => {
      const prefix = newPrefix();
      const client = new FakeFederationClient();
      const hs = await start(client, prefix);
      const roomId = await roomWith(hs, "@dan:d.test");
      const redis = new Redis(redisUrl!);
      try {
        const key = destinationLockKey(`${prefix}:${config.database.schema}:bull.test`, "d.test");
        await redis.set(key, "someone-else", "PX", 60_000);
        const events = new QueueEvents("federation-sender", {
          connection: { url: redisUrl! },
          prefix: `${prefix}:${config.database.schema}:bull.test`,
        });
        closers.push(() => events.close());
        await events.waitUntilReady();
        const delayed = new Promise<void>((resolve) => events.once("delayed", () => resolve()));
        await sendText(hs.ctx, roomId, alice, "locked out");
        // The job finds the lock taken and is delayed; nothing goes out.
        await delayed;
        expect(client.attempts.filter((a) => a.destination === "d.test")).toHaveLength(0);
        await redis.del(key);
        hs.ctx.federation.sender.destinationIsUp("d.test");
        await client.until(() => client.deliveredBodies("d.test").length === 1);
        expect(client.deliveredBodies("d.test")).toEqual(["locked out"]);
      } finally {
        redis.disconnect();
      }
    });

    it("a process stopped mid-transaction leaves it to the next one, same transaction id", async () => {
      const prefix = newPrefix();
      const first = new FakeFederationClient();
      const held = gate();
      first.behave("e.test", held.behaviour);
      const hs1 = await start(first, prefix);
      const roomId = await roomWith(hs1, "@erin:e.test");
      await sendText(hs1.ctx, roomId, alice, "in flight");
      await held.started;
      await sendText(hs1.ctx, roomId, alice, "queued");
      await hs1.stop();
      held.release();

      const second = new FakeFederationClient();
      await start(second, prefix);
      await second.until(() => second.deliveredBodies("e.test").length === 2);
      expect(second.deliveredBodies("e.test")).toEqual(["in flight", "queued"]);
      expect(second.attempts[0]!.txnId).toBe(first.attempts[0]!.txnId);
    });
  },
);
