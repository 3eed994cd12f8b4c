import type { BenchResult } from "./result.ts";
import { BenchClient, newAgent } from "./support/client.ts";
import { startBenchServer } from "./support/server.ts";
import { envInt, summarize } from "./support/stats.ts";

/** 500 users join one room (joins/s, 8 at a time), then a newcomer's join + first /sync. */
export async function benchBigRoom(): Promise<BenchResult[]> {
  const users = envInt("BENCH_BIG_ROOM_USERS", 500);
  const server = await startBenchServer();
  const agent = newAgent(64);
  try {
    const owner = new BenchClient(server.url, agent);
    await owner.register("owner", "password-owner");
    const roomId = await owner.createRoom({ preset: "public_chat", name: "big room" });
    const joiners = await Promise.all(
      Array.from({ length: users }, async (_, i) => {
        const c = new BenchClient(server.url, agent);
        await c.register(`member${i}`, `password-${i}`);
        return c;
      }),
    );
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < joiners.length) await joiners[next++]!.join(roomId);
      }),
    );
    const joinSeconds = (performance.now() - t0) / 1000;

    const newcomerTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = new BenchClient(server.url, agent);
      await c.register(`newcomer${i}`, `password-n${i}`);
      const t1 = performance.now();
      await c.join(roomId);
      await c.sync();
      newcomerTimes.push(performance.now() - t1);
    }
    const s = summarize(newcomerTimes);
    return [
      { name: `big room: ${users} joins/s`, value: users / joinSeconds, unit: "joins/s" },
      {
        name: "big room: newcomer join + first sync, median",
        value: s.p50,
        unit: "ms",
        extra: { max: Math.max(...newcomerTimes) },
      },
    ];
  } finally {
    await agent.close();
    await server.stop();
  }
}
