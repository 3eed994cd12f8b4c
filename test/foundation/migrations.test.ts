import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/storage/database.ts";
import { startEmbeddedPostgres } from "../../src/storage/embedded-postgres.ts";
import { MIGRATIONS_DIR, migrateToLatest, MigrationError } from "../../src/storage/migrate.ts";
import { readdir, readFile } from "node:fs/promises";
import { dropSchema, testDatabaseUrl, uniqueSchema } from "../support/database.ts";

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

async function migrateFresh(url: string, schema: string): Promise<string[]> {
  const handle = openDatabase(url, schema, 2);
  try {
    return await migrateToLatest(handle.db, schema);
  } finally {
    await handle.close();
  }
}

describe("migrations", () => {
  it("apply on the test database in a schema of their own, once", async () => {
    const schema = uniqueSchema("mig");
    schemas.push(schema);
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).sort();
    expect(await migrateFresh(testDatabaseUrl(), schema)).toEqual(files.map((f) => f.replace(/\.sql$/, "")));
    expect(await migrateFresh(testDatabaseUrl(), schema)).toEqual([]);

    const handle = openDatabase(testDatabaseUrl(), schema, 1);
    try {
      const { rows } = await sql<{ table_schema: string }>`
        SELECT table_schema FROM information_schema.tables WHERE table_name = 'instance_meta'
        AND table_schema = ${schema}`.execute(handle.db);
      expect(rows).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });

  it("comment every column they create", async () => {
    const schema = uniqueSchema("mig");
    schemas.push(schema);
    await migrateFresh(testDatabaseUrl(), schema);
    const handle = openDatabase(testDatabaseUrl(), schema, 1);
    try {
      const { rows } = await sql<{ table_name: string; column_name: string }>`
        SELECT c.table_name, c.column_name FROM information_schema.columns c
        WHERE c.table_schema = ${schema} AND c.table_name NOT LIKE 'kysely_%'
          AND col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) IS NULL`.execute(
        handle.db,
      );
      expect(rows).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it("are numbered, append-only SQL files", async () => {
    const files = (await readdir(MIGRATIONS_DIR)).sort();
    // Numbers are handed out to parallel work ahead of time, so one may land before a lower one: unique
    // and rising, not necessarily contiguous.
    const numbers = files.map((f) => {
      expect(f).toMatch(/^\d{4}_[a-z0-9_]+\.sql$/);
      return Number(f.slice(0, 4));
    });
    numbers.forEach((n, i) => expect(n).toBeGreaterThan(i === 0 ? 0 : numbers[i - 1]!));
    for (const f of files) expect((await readFile(path.join(MIGRATIONS_DIR, f), "utf8")).trim()).not.toBe("");
  });

  it("report a failing migration by name and leave the schema unchanged", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "hearth-mig-"));
    const schema = uniqueSchema("mig");
    schemas.push(schema);
    await writeFile(
      path.join(dir, "0001_ok.sql"),
      "CREATE TABLE ok_table (id int); COMMENT ON COLUMN ok_table.id IS 'x';",
    );
    await writeFile(
      path.join(dir, "0002_bad.sql"),
      "CREATE TABLE bad_table (id int); SELECT no_such_function();",
    );
    const handle = openDatabase(testDatabaseUrl(), schema, 1);
    try {
      const err = await migrateToLatest(handle.db, schema, dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as MigrationError).failed).toBe("0002_bad");
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = ${schema}
        AND table_name IN ('ok_table', 'bad_table')`.execute(handle.db);
      // Kysely runs the whole batch in one transaction: nothing half-applied.
      expect(rows[0]?.n).toBe(0);
    } finally {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("apply on an embedded PostgreSQL, which keeps its data across restarts", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "hearth-embedded-"));
    await chmod(dir, 0o755);
    try {
      const first = await startEmbeddedPostgres(path.join(dir, "postgres"));
      try {
        expect(await migrateFresh(first.url, "hearth")).not.toEqual([]);
      } finally {
        await first.stop();
      }
      const second = await startEmbeddedPostgres(path.join(dir, "postgres"));
      try {
        expect(await migrateFresh(second.url, "hearth")).toEqual([]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
