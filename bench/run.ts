import os from "node:os";
import type { BenchResult } from "./result.ts";

interface Suite {
  name: string;
  group: string;
  run(): Promise<BenchResult[]>;
}

const SUITES: Suite[] = [
  {
    name: "core-crypto",
    group: "core",
    run: async () => (await import("./core-crypto.ts")).benchCoreCrypto(),
  },
  { name: "state-res", group: "core", run: async () => (await import("./state-res.ts")).benchStateRes() },
  { name: "chat", group: "client", run: async () => (await import("./chat.ts")).benchChat() },
  {
    name: "initial-sync",
    group: "client",
    run: async () => (await import("./initial-sync.ts")).benchInitialSync(),
  },
  { name: "big-room", group: "client", run: async () => (await import("./big-room.ts")).benchBigRoom() },
  {
    name: "federation",
    group: "federation",
    run: async () => (await import("./federation.ts")).benchFederation(),
  },
  { name: "media", group: "media", run: async () => (await import("./media.ts")).benchMedia() },
];

/** `npm run bench [-- GROUP|SUITE …]`: prints a table, then the same figures as JSON. */
async function main(filters: string[]): Promise<void> {
  const chosen = SUITES.filter(
    (s) => filters.length === 0 || filters.includes(s.group) || filters.includes(s.name),
  );
  if (chosen.length === 0) {
    console.error(
      `no benchmark matches ${filters.join(" ")}; known: ${SUITES.map((s) => `${s.group}/${s.name}`).join(", ")}`,
    );
    process.exitCode = 2;
    return;
  }
  const machine = {
    cpus: os.cpus().length,
    loadavg: os.loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version,
  };
  const rows: Array<BenchResult & { suite: string }> = [];
  for (const suite of chosen) {
    for (const r of await suite.run()) rows.push({ suite: suite.name, ...r });
  }
  const memory = process.memoryUsage();
  console.log(`machine: ${machine.cpus} cpus, load ${machine.loadavg.join(" ")}, node ${machine.node}`);
  const width = Math.max(...rows.map((r) => r.name.length), 4);
  console.log(`${"name".padEnd(width)}  ${"value".padStart(12)}  unit`);
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.value.toFixed(2).padStart(12)}  ${r.unit}`);
  console.log(
    `rss ${(memory.rss / 2 ** 20).toFixed(1)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(1)} MiB`,
  );
  console.log(
    JSON.stringify({ machine, results: rows, memory: { rss: memory.rss, heapUsed: memory.heapUsed } }),
  );
}

await main(process.argv.slice(2));
