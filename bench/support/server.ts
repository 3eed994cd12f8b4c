import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface BenchServer {
  url: string;
  pid: number;
  /** Resident set size of the server process, bytes. */
  rss(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Runs Hearth in a child process (so its memory is measured apart from the load generator), on
 * DATABASE_URL when set (a fresh schema) or its embedded PostgreSQL, with limits lifted for load.
 * BENCH_LOG_LEVEL (default warn) and BENCH_SERVER_LOG=/path/prefix (appends each server's output to
 * prefix.SERVER_NAME) help find out where the time goes.
 */
export async function startBenchServer(
  opts: { resources?: string[]; env?: Record<string, string> } = {},
): Promise<BenchServer> {
  const dir = await mkdtemp(path.join(tmpdir(), "hearth-bench-"));
  await chmod(dir, 0o755);
  const schema = `bench_${process.pid}_${Date.now()}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HEARTH_SERVER_NAME: "bench.test",
    HEARTH_DATA_DIR: dir,
    HEARTH_LOG__LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
    HEARTH_REGISTRATION__ENABLED: "true",
    HEARTH_LISTENERS: JSON.stringify([
      { bind: "127.0.0.1", port: 0, resources: opts.resources ?? ["client", "federation"] },
    ]),
    HEARTH_RATE_LIMITS: JSON.stringify({
      login: { per_second: 100000, burst: 100000 },
      registration: { per_second: 100000, burst: 100000 },
      messages: { per_second: 100000, burst: 100000 },
    }),
    ...opts.env,
  };
  if (process.env.DATABASE_URL) {
    env.HEARTH_DATABASE__URL = process.env.DATABASE_URL;
    env.HEARTH_DATABASE__SCHEMA = schema;
  }
  // What bin/hearth does (bundle, then run the bundle), with room for node flags such as
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under load.
  execFileSync(process.execPath, [path.join(ROOT, "scripts/build.mjs")], { cwd: ROOT, stdio: "ignore" });
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, "--enable-source-maps", path.join(ROOT, "dist/hearth.mjs"), "serve"],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      if (process.env.BENCH_SERVER_LOG)
        appendFileSync(`${process.env.BENCH_SERVER_LOG}.${env.HEARTH_SERVER_NAME}`, d);
      output += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`server exited (${code}): ${output}`)));
  });
  const pid = child.pid!;
  return {
    url,
    pid,
    async rss() {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb * 1024;
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      if (process.env.DATABASE_URL) {
        const pg = (await import("pg")).default;
        const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
