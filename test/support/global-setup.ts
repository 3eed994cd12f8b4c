import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/storage/embedded-postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string | undefined;
  }
}

/**
 * One PostgreSQL for the whole run: the one in DATABASE_URL, or an embedded one in a temporary
 * directory. Each test file then works in a schema of its own (see test/support/database.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.DATABASE_URL;
  let cleanup = async (): Promise<void> => undefined;
  if (!url) {
    const dir = await mkdtemp(path.join(tmpdir(), "hearth-test-pg-"));
    // mkdtemp makes the directory 0700; as root, PostgreSQL runs as `postgres` and must reach it.
    await chmod(dir, 0o755);
    const pg = await startEmbeddedPostgres(path.join(dir, "postgres"));
    url = pg.url;
    cleanup = async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  project.provide("databaseUrl", url);
  project.provide("redisUrl", process.env.REDIS_URL);
  return cleanup;
}
