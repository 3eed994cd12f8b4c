import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { HearthConfig } from "../../src/config/schema.ts";
import { loadConfig } from "../../src/config/load.ts";
import { createHomeserver, type Homeserver, type HomeserverOptions } from "../../src/homeserver.ts";
import { dropSchema, testDatabaseUrl, uniqueSchema } from "./database.ts";

export interface TestHomeserver extends Homeserver {
  readonly dataDir: string;
  /** Stops the server, drops its schema and removes its data directory. */
  destroy(): Promise<void>;
}

/** A config for tests: the shared test database in a schema of its own, quiet logs, a temp data dir. */
export async function testConfig(overrides: Record<string, unknown> = {}): Promise<HearthConfig> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "hearth-test-"));
  return loadConfig({
    env: {},
    cwd: dataDir,
    overrides: {
      server_name: "hearth.test",
      data_dir: dataDir,
      database: { url: testDatabaseUrl(), schema: uniqueSchema() },
      log: { level: "silent" },
      listeners: [
        { bind: "127.0.0.1", port: 0, resources: ["client", "federation", "media", "admin", "metrics"] },
      ],
      ...overrides,
    },
  });
}

export async function startTestHomeserver(
  overrides: Record<string, unknown> = {},
  opts: HomeserverOptions = {},
): Promise<TestHomeserver> {
  const config = await testConfig(overrides);
  const hs = await createHomeserver(config, opts);
  return Object.assign(hs, {
    dataDir: config.data_dir,
    async destroy() {
      await hs.stop();
      await dropSchema(config.database.schema);
      await rm(config.data_dir, { recursive: true, force: true });
    },
  });
}
