import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setMaxListeners } from "node:events";
import { writeSelfSignedCertificate } from "../test/support/tls.ts";
import type { BenchResult } from "./result.ts";
import { BenchClient, newAgent } from "./support/client.ts";
import { startBenchServer, type BenchServer } from "./support/server.ts";
import { envInt, summarize } from "./support/stats.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A Hearth named `localhost:PORT` with TLS federation on PORT, trusting the shared test certificate. */
async function startFederatedServer(cert: { certFile: string; keyFile: string }): Promise<{
  server: BenchServer;
  name: string;
}> {
  const port = await freePort();
  const name = `localhost:${port}`;
  const server = await startBenchServer({
    env: {
      HEARTH_SERVER_NAME: name,
      HEARTH_LISTENERS: JSON.stringify([
        { bind: "127.0.0.1", port: 0, resources: ["client"] },
        {
          bind: "127.0.0.1",
          port,
          tls: { cert: cert.certFile, key: cert.keyFile },
          resources: ["federation"],
        },
      ]),
      HEARTH_FEDERATION: JSON.stringify({ trusted_ca_files: [cert.certFile], allow_private_addresses: true }),
    },
  });
  return { server, name };
}

async function registerMany(url: string, agent: ReturnType<typeof newAgent>, prefix: string, n: number) {
  const out: BenchClient[] = [];
  for (let i = 0; i < n; i += 16) {
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(16, n - i) }, async (_, j) => {
          const c = new BenchClient(url, agent);
          await c.register(`${prefix}${i + j}`, `password-${prefix}${i + j}`);
          return c;
        }),
      )),
    );
  }
  return out;
}

/**
 * Two Hearth servers on 127.0.0.1 federating over TLS (server names `localhost:PORT`). Replication:
 * users of A send in R shared rooms for D seconds; users of B long-poll /sync. Reports PDUs/s
 * replicated (messages from A seen by B's users), the latency from the send on A to the sync on B,
 * and the time for a user of B to join a room on A of M members and about E events.
 * Knobs: BENCH_FED_ROOMS, BENCH_FED_SENDERS, BENCH_FED_SECONDS, BENCH_FED_MEMBERS, BENCH_FED_EVENTS.
 */
export async function benchFederation(): Promise<BenchResult[]> {
  const roomCount = envInt("BENCH_FED_ROOMS", 5);
  const senders = envInt("BENCH_FED_SENDERS", 10);
  const seconds = envInt("BENCH_FED_SECONDS", 20);
  const bigMembers = envInt("BENCH_FED_MEMBERS", 2000);
  const bigEvents = envInt("BENCH_FED_EVENTS", 10000);

  const dir = await mkdtemp(path.join(tmpdir(), "hearth-bench-fed-"));
  const cert = await writeSelfSignedCertificate(dir);
  const a = await startFederatedServer(cert);
  const b = await startFederatedServer(cert).catch(async (e: unknown) => {
    await a.server.stop();
    throw e;
  });
  const agent = newAgent(senders + roomCount * 2 + 64);
  try {
    // Replication: each room has senders on A and one syncing user on B.
    const aUsers = await registerMany(a.server.url, agent, "a", senders);
    const bUsers = await registerMany(b.server.url, agent, "b", roomCount);
    const rooms: string[] = [];
    for (let r = 0; r < roomCount; r++)
      rooms.push(await aUsers[r % senders]!.createRoom({ preset: "public_chat" }));
    const roomOf = (i: number): string => rooms[i % roomCount]!;
    for (let i = 0; i < senders; i++) if (i >= roomCount) await aUsers[i]!.join(roomOf(i));
    for (let r = 0; r < roomCount; r++) await bUsers[r]!.join(rooms[r]!, [a.name]);

    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let lastDelivery = 0;
    const stop = new AbortController();
    setMaxListeners(roomCount + 16, stop.signal);
    const starts = await Promise.all(bUsers.map(async (c) => (await c.sync()).next_batch));
    const loops = bUsers.map((c, i) =>
      c.follow(starts[i]!, stop.signal, (events) => {
        const now = performance.now();
        for (const ev of events) {
          const t0 = ev.content.body === undefined ? undefined : sentAt.get(ev.content.body);
          if (t0 !== undefined) {
            latencies.push(now - t0);
            lastDelivery = now;
          }
        }
      }),
    );
    let sent = 0;
    const sendStart = performance.now();
    const deadline = sendStart + seconds * 1000;
    await Promise.all(
      aUsers.map(async (c, s) => {
        let n = 0;
        while (performance.now() < deadline) {
          const tag = `fed ${s} ${n++}`;
          sentAt.set(tag, performance.now());
          if ((await c.send(roomOf(s), { msgtype: "m.text", body: tag })).status === 200) sent += 1;
        }
      }),
    );
    const settle = performance.now() + 30_000;
    while (latencies.length < sent && performance.now() < settle)
      await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    await Promise.allSettled(loops);
    const delivery = summarize(latencies);

    // The big room: M members on A, about E events, then one user of B joins it.
    const owner = aUsers[0]!;
    const big = await owner.createRoom({ preset: "public_chat", name: "big" });
    const members = await registerMany(a.server.url, agent, "m", bigMembers);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < members.length) await members[next++]!.join(big);
      }),
    );
    const messages = Math.max(0, bigEvents - bigMembers - 6);
    let m = 0;
    await Promise.all(
      members.slice(0, 16).map(async (c) => {
        while (m < messages) {
          m += 1;
          await c.send(big, { msgtype: "m.text", body: `history ${m}` });
        }
      }),
    );
    const [joiner] = await registerMany(b.server.url, agent, "joiner", 1);
    const t0 = performance.now();
    await joiner!.join(big, [a.name]);
    const joinMs = performance.now() - t0;
    const t1 = performance.now();
    await joiner!.sync();
    const firstSyncMs = performance.now() - t1;

    return [
      {
        name: "federation PDUs/s replicated",
        // What B's users received, over the time from the first send to the last delivery: when B
        // falls behind, the messages it still receives after the sending window count at B's pace.
        value: latencies.length / (Math.max(lastDelivery - sendStart, seconds * 1000) / 1000),
        unit: "PDU/s",
        extra: { sent, received: latencies.length, rooms: roomCount, senders, seconds },
      },
      { name: "federation delivery A→B p50", value: delivery.p50, unit: "ms", extra: { p95: delivery.p95 } },
      { name: "federation delivery A→B p99", value: delivery.p99, unit: "ms" },
      {
        name: `federation join of a ${bigMembers}-member room`,
        value: joinMs,
        unit: "ms",
        extra: { events: bigEvents, firstSyncMs },
      },
      { name: "federation server A RSS", value: (await a.server.rss()) / 2 ** 20, unit: "MiB" },
    ];
  } finally {
    await agent.close();
    await Promise.allSettled([a.server.stop(), b.server.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}
