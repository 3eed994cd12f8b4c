import type { BenchResult } from "./result.ts";
import { BenchClient, newAgent } from "./support/client.ts";
import { startBenchServer } from "./support/server.ts";
import { envInt, summarize } from "./support/stats.ts";

/** One user in 100 rooms with 20 messages each: how long a fresh (initial) /sync takes. */
export async function benchInitialSync(): Promise<BenchResult[]> {
  const roomCount = envInt("BENCH_INITIAL_ROOMS", 100);
  const messages = envInt("BENCH_INITIAL_MESSAGES", 20);
  const server = await startBenchServer();
  const agent = newAgent(32);
  try {
    const alice = new BenchClient(server.url, agent);
    await alice.register("alice", "password-alice");
    for (let r = 0; r < roomCount; r++) {
      const roomId = await alice.createRoom({ preset: "private_chat", name: `room ${r}` });
      for (let m = 0; m < messages; m++)
        await alice.send(roomId, { msgtype: "m.text", body: `message ${m}` });
    }
    const times: number[] = [];
    for (let run = 0; run < 7; run++) {
      const t0 = performance.now();
      const res = await alice.sync();
      times.push(performance.now() - t0);
      const joined = Object.keys(res.rooms?.join ?? {}).length;
      if (joined !== roomCount)
        throw new Error(`initial sync returned ${joined} rooms, expected ${roomCount}`);
    }
    const s = summarize(times);
    return [
      {
        name: `initial sync ${roomCount} rooms × ${messages} msgs, median`,
        value: s.p50,
        unit: "ms",
        extra: { first: times[0]!, max: Math.max(...times) },
      },
    ];
  } finally {
    await agent.close();
    await server.stop();
  }
}
