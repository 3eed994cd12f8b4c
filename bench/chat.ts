import { setMaxListeners } from "node:events";
import type { BenchResult } from "./result.ts";
import { BenchClient, newAgent } from "./support/client.ts";
import { startBenchServer } from "./support/server.ts";
import { envInt, summarize } from "./support/stats.ts";

/**
 * The chat scenario: U users spread over R rooms (each user in one room, so U/R members a room), each
 * running a /sync long-poll loop; C of them send messages as fast as the server accepts for D seconds.
 * Measures send latency, delivery latency (send → seen in each member's /sync, or in the /messages
 * page that fills a limited timeline's gap, as clients do) and delivered fraction.
 * Idle RSS is read once the server has had BENCH_IDLE_SECONDS (default 20) without a request, before
 * the load and again after it: right after a burst of requests V8 still holds the young generation
 * it grew for them, which its memory reducer gives back after some seconds of quiet.
 * Knobs: BENCH_USERS, BENCH_ROOMS, BENCH_SENDERS, BENCH_SECONDS, BENCH_IDLE_SECONDS.
 */
export async function benchChat(): Promise<BenchResult[]> {
  const users = envInt("BENCH_USERS", 50);
  const roomCount = envInt("BENCH_ROOMS", 10);
  const senders = Math.min(envInt("BENCH_SENDERS", 20), users);
  const seconds = envInt("BENCH_SECONDS", 30);
  const idleSeconds = envInt("BENCH_IDLE_SECONDS", 20);
  const quiet = (): Promise<void> => new Promise((r) => setTimeout(r, idleSeconds * 1000));

  const server = await startBenchServer();
  const agent = newAgent(users + senders + 16);
  try {
    const clients = await Promise.all(
      Array.from({ length: users }, async (_, i) => {
        const c = new BenchClient(server.url, agent);
        await c.register(`user${i}`, `password-${i}`);
        return c;
      }),
    );
    const rooms: string[] = [];
    for (let r = 0; r < roomCount; r++)
      rooms.push(await clients[r % users]!.createRoom({ preset: "public_chat" }));
    const roomOf = (i: number): string => rooms[i % roomCount]!;
    for (let i = roomCount; i < users; i++) await clients[i]!.join(roomOf(i));
    const membersOf = new Map<string, number>();
    for (let i = 0; i < users; i++) membersOf.set(roomOf(i), (membersOf.get(roomOf(i)) ?? 0) + 1);

    const setupRss = await server.rss();
    await quiet();
    const idleRss = await server.rss();
    let peakRss = Math.max(setupRss, idleRss);
    const rssTimer = setInterval(() => {
      void server.rss().then((r) => (peakRss = Math.max(peakRss, r)));
    }, 250);

    const sentAt = new Map<string, number>(); // body tag → send start time
    const deliveries: number[] = [];
    let delivered = 0;
    let errors = 0;
    const stopSync = new AbortController();
    // Every long-poll listens on this one signal.
    setMaxListeners(users + 16, stopSync.signal);
    // Every client has its starting point before the first message, so none arrives in an initial sync.
    const starts = await Promise.all(clients.map(async (c) => (await c.sync()).next_batch));
    const syncLoops = clients.map(async (c, i) => {
      errors += await c.follow(starts[i]!, stopSync.signal, (events) => {
        const now = performance.now();
        for (const ev of events) {
          const tag = ev.type === "m.room.message" ? ev.content.body : undefined;
          const t0 = tag ? sentAt.get(tag) : undefined;
          if (t0 !== undefined) {
            deliveries.push(now - t0);
            delivered += 1;
          }
        }
      });
    });

    const sendLatency: number[] = [];
    let sent = 0;
    let expectedDeliveries = 0;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      clients.slice(0, senders).map(async (c, s) => {
        const room = roomOf(s);
        let n = 0;
        while (performance.now() < deadline) {
          const tag = `bench ${s} ${n++}`;
          const t0 = performance.now();
          sentAt.set(tag, t0);
          const res = await c.send(room, { msgtype: "m.text", body: tag });
          if (res.status === 200) {
            sendLatency.push(performance.now() - t0);
            sent += 1;
            expectedDeliveries += membersOf.get(room) ?? 0;
          } else {
            errors += 1;
            sentAt.delete(tag);
          }
        }
      }),
    );
    // Let the last messages arrive, then stop the long-polls.
    const settleUntil = performance.now() + 10_000;
    while (delivered < expectedDeliveries && performance.now() < settleUntil) {
      await new Promise((r) => setTimeout(r, 50));
    }
    stopSync.abort();
    await Promise.allSettled(syncLoops);
    clearInterval(rssTimer);
    await quiet();
    const idleAfterRss = await server.rss();

    const send = summarize(sendLatency);
    const delivery = summarize(deliveries);
    const mib = (b: number): number => b / 2 ** 20;
    return [
      {
        name: "chat messages/s",
        value: sent / seconds,
        unit: "msg/s",
        extra: { users, rooms: roomCount, senders, seconds },
      },
      { name: "chat send latency p50", value: send.p50, unit: "ms", extra: { p95: send.p95, p99: send.p99 } },
      { name: "chat send latency p99", value: send.p99, unit: "ms" },
      { name: "chat delivery latency p50", value: delivery.p50, unit: "ms", extra: { p95: delivery.p95 } },
      { name: "chat delivery latency p99", value: delivery.p99, unit: "ms" },
      {
        name: "chat delivered fraction",
        value: expectedDeliveries ? delivered / expectedDeliveries : 0,
        unit: "ratio",
      },
      { name: "chat errors", value: errors, unit: "count" },
      { name: "chat server RSS after set-up", value: mib(setupRss), unit: "MiB" },
      {
        name: "chat server RSS idle",
        value: mib(idleRss),
        unit: "MiB",
        extra: { quietSeconds: idleSeconds },
      },
      { name: "chat server RSS idle after load", value: mib(idleAfterRss), unit: "MiB" },
      { name: "chat server RSS peak", value: mib(peakRss), unit: "MiB" },
    ];
  } finally {
    await agent.close();
    await server.stop();
  }
}
