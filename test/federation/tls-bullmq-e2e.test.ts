/**
 * Two homeservers named `localhost:PORT` federating over real TLS sockets with the production
 * transport, their federation senders on the BullMQ driver against the real Redis: a user on each
 * side joins the same room and messages go both ways through the queue.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { HearthConfig } from "../../src/config/schema.ts";
import { createHomeserver, type Homeserver } from "../../src/homeserver.ts";
import { dropSchema } from "../support/database.ts";
import { testConfig } from "../support/homeserver.ts";
import { freePort, writeSelfSignedCertificate } from "../support/tls.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi } from "./outbound-resident.ts";

const redisUrl = process.env.REDIS_URL;
const enc = encodeURIComponent;
// Response bodies are arbitrary JSON; tests assert on their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

describe.skipIf(!redisUrl)(
  redisUrl
    ? "federation over TLS with the BullMQ sender"
    : "federation over TLS with BullMQ (skipped: REDIS_URL unset)",
  () => {
    const servers: Homeserver[] = [];
    const configs: HearthConfig[] = [];
    const prefix = `hearth-tls-e2e-${randomBytes(4).toString("hex")}`;

    beforeAll(async () => {
      const ports = [await freePort(), await freePort()];
      const bases = [await testConfig(), await testConfig()];
      const certs = await Promise.all(
        bases.map((b, i) => writeSelfSignedCertificate(b.data_dir, [`hearth-bull-${i}.test`])),
      );
      for (const [i, base] of bases.entries()) {
        configs.push(
          await testConfig({
            server_name: `localhost:${ports[i]}`,
            data_dir: base.data_dir,
            database: base.database,
            redis: { url: redisUrl },
            listeners: [
              {
                bind: "127.0.0.1",
                port: ports[i],
                tls: { cert: certs[i]!.certFile, key: certs[i]!.keyFile },
                resources: ["federation"],
              },
            ],
            federation: { trusted_ca_files: certs.map((c) => c.certFile), allow_private_addresses: true },
          }),
        );
      }
      for (const [i, config] of configs.entries()) {
        const hs = await createHomeserver(config, { sender: { queuePrefix: `${prefix}-${i}` } });
        servers.push(hs);
        await hs.listen();
      }
    });
    afterAll(async () => {
      await Promise.all(servers.map((hs) => hs.stop()));
      for (const config of configs) await dropSchema(config.database.schema);
      const redis = new Redis(redisUrl!);
      const keys = await redis.keys(`${prefix}-*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    /** Long-polls `session`'s sync until a message with `body` shows in the room. */
    async function seen(hs: Homeserver, session: Session, roomId: string, body: string): Promise<void> {
      let since: string | undefined;
      for (let round = 0; round < 30; round++) {
        const q = since ? `?since=${enc(since)}&timeout=5000` : "";
        const res = await clientApi(hs, session.accessToken, "GET", `/sync${q}`);
        expect(res.status).toBe(200);
        since = res.body.next_batch;
        const events: Body[] = res.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
        if (events.some((e) => e.content?.body === body)) return;
      }
      throw new Error(`"${body}" never arrived`);
    }

    it("joins across servers and delivers messages both ways through the queue", async () => {
      const [hs1, hs2] = servers as [Homeserver, Homeserver];
      const alice = await createTestUser(hs1, "alice");
      const bob = await createTestUser(hs2, "bob");
      const created = await clientApi(hs1, alice.accessToken, "POST", "/createRoom", {
        preset: "public_chat",
      });
      const roomId: string = created.body.room_id;
      const join = await clientApi(
        hs2,
        bob.accessToken,
        "POST",
        `/join/${enc(roomId)}?server_name=${enc(hs1.ctx.serverName)}`,
        {},
      );
      expect(join.status).toBe(200);

      const send = (hs: Homeserver, s: Session, txn: string, body: string) =>
        clientApi(hs, s.accessToken, "PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn}`, {
          msgtype: "m.text",
          body,
        });
      expect((await send(hs1, alice, "a1", "over tls from hs1")).status).toBe(200);
      await seen(hs2, bob, roomId, "over tls from hs1");
      expect((await send(hs2, bob, "b1", "over tls from hs2")).status).toBe(200);
      await seen(hs1, alice, roomId, "over tls from hs2");

      // The queue that carried them is BullMQ's, in Redis under each server's prefix.
      const redis = new Redis(redisUrl!);
      try {
        for (const i of [0, 1]) expect((await redis.keys(`${prefix}-${i}:*`)).length).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    }, 60_000);
  },
);
