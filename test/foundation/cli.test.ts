import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { dropSchema, testDatabaseUrl, uniqueSchema } from "../support/database.ts";

const HEARTH = fileURLToPath(new URL("../../bin/hearth", import.meta.url));
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

function run(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(HEARTH, args, { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "hearth-cli-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("hearth CLI", () => {
  it("prints help for itself and for each command", () => {
    const top = run(["--help"]);
    expect(top.code).toBe(0);
    for (const name of ["serve", "migrate", "generate-config", "generate-keys"])
      expect(top.stdout).toContain(name);
    const sub = run(["generate-keys", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("--rotate");
  });

  it("rejects an unknown command or flag with exit code 2", () => {
    expect(run(["frobnicate"]).code).toBe(2);
    const bad = run(["migrate", "--no-such-flag"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("no-such-flag");
  });

  it("reports every config error at once and exits non-zero", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "bad.yaml");
    await writeFile(file, "server_nam: x\nlisteners: 5\ndatabase:\n  url: ftp://nope\n");
    const res = run(["serve", "--config", file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("server_nam");
    expect(res.stderr).toContain("listeners");
    expect(res.stderr).toContain("database.url");
  });

  it("generate-config writes a file that serve accepts, and generate-keys rotates keeping the old key", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "hearth.yaml");
    expect(run(["generate-config", "--server-name", "cli.test", "--output", file]).code).toBe(0);
    expect(run(["generate-config", "--output", file]).code).toBe(2);
    const env = { HEARTH_DATA_DIR: dir };
    const created = run(["generate-keys", "--config", file], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("created");
    const rotated = run(["generate-keys", "--config", file, "--rotate"], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain("1 old key");
  });

  it("serve starts, answers, and stops cleanly on SIGTERM", async () => {
    const dir = await tempDir();
    const schema = uniqueSchema("cli");
    cleanups.push(() => dropSchema(schema));
    const child = spawn(HEARTH, ["serve"], {
      env: {
        PATH: process.env.PATH ?? "",
        HEARTH_SERVER_NAME: "cli.test",
        HEARTH_DATA_DIR: dir,
        HEARTH_DATABASE__URL: testDatabaseUrl(),
        HEARTH_DATABASE__SCHEMA: schema,
        HEARTH_LOG__LEVEL: "warn",
        HEARTH_LISTENERS: JSON.stringify([
          { bind: "127.0.0.1", port: 0, resources: ["client", "federation"] },
        ]),
      },
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", () => {
        const m = /listening on (http:\/\/\S+)/.exec(stdout);
        if (m?.[1]) resolve(m[1]);
      });
      void exited.then(() => reject(new Error(`exited early: ${stdout}`)));
    });
    expect(stdout).toContain("cli.test");
    expect(stdout).toContain(dir);
    expect(stdout).toMatch(/register the first account with the single-use token [A-Za-z0-9_-]{16,}/);
    const res = await fetch(`${url}/_matrix/federation/v1/version`);
    expect(res.status).toBe(200);
    const started = Date.now();
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
