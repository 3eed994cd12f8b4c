import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, PREPARED_PER_CONNECTION, type DbHandle } from "../../src/storage/database.ts";
import { migrateToLatest } from "../../src/storage/migrate.ts";
import { PlannerStatsKeeper, tablesWithStaleStatistics } from "../../src/storage/planner-stats.ts";
import { createLogger } from "../../src/util/logger.ts";
import { dropSchema, testDatabaseUrl, uniqueSchema } from "../support/database.ts";

const schema = uniqueSchema();
let handle: DbHandle;

beforeAll(async () => {
  // One connection, so every statement below runs on the session whose prepared statements we read.
  handle = openDatabase(testDatabaseUrl(), schema, 1);
  await migrateToLatest(handle.db, schema);
});

afterAll(async () => {
  await handle.close();
  await dropSchema(schema);
});

describe("prepared statements", () => {
  it("prepares a parameterised text once per connection and answers it correctly every time", async () => {
    const texts = async (): Promise<string[]> =>
      (
        await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(handle.db)
      ).rows.map((r) => r.statement);
    for (const n of [1, 2, 3]) {
      const row = await sql<{ v: number }>`SELECT ${n}::int * 2 AS v`.execute(handle.db);
      expect(row.rows[0]!.v).toBe(n * 2);
    }
    const doubled = (await texts()).filter((t) => t.includes("* 2 AS v"));
    expect(doubled).toHaveLength(1);
  });

  it("rejects with the server's error when a prepared statement fails, and the connection goes on", async () => {
    for (let i = 0; i < 2; i++) {
      await expect(sql`SELECT 1 / ${0}::int AS v`.execute(handle.db)).rejects.toThrow(/division by zero/);
    }
    const row = await sql<{ v: number }>`SELECT 1 / ${1}::int AS v`.execute(handle.db);
    expect(row.rows[0]!.v).toBe(1);
  });

  it("runs texts past the per-connection cap unprepared, still correctly", async () => {
    for (let i = 0; i < PREPARED_PER_CONNECTION + 20; i++) {
      const row = await sql<{ v: number }>`SELECT ${i}::int + ${sql.lit(i)} AS v`.execute(handle.db);
      expect(row.rows[0]!.v).toBe(2 * i);
    }
    const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(
      handle.db,
    );
    expect(count.rows[0]!.n).toBe(PREPARED_PER_CONNECTION);
  });

  it("runs texts without parameters (several statements, literals) through the simple protocol", async () => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(
      handle.db,
    );
    await sql`BEGIN; SELECT 1; COMMIT`.execute(handle.db);
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(
      handle.db,
    );
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });
});

describe("planner statistics", () => {
  /** pg_stat counters reach the shared view a moment after commit; poll until they show the writes. */
  async function untilCounted(table: string, atLeast: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      await sql`SELECT pg_stat_clear_snapshot()`.execute(handle.db);
      const row = await sql<{ n: number }>`
        SELECT coalesce(n_mod_since_analyze, 0)::int AS n FROM pg_stat_user_tables
        WHERE schemaname = ${schema} AND relname = ${table}`.execute(handle.db);
      if ((row.rows[0]?.n ?? 0) >= atLeast) return;
      if (Date.now() > deadline) throw new Error(`${table}: writes never counted`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("analyses a table that outgrew its statistics, and leaves the rest alone", async () => {
    await sql`
      INSERT INTO instance_meta (key, value)
      SELECT 'k' || g, '1'::jsonb FROM generate_series(1, 600) g`.execute(handle.db);
    await untilCounted("instance_meta", 600);
    expect(await tablesWithStaleStatistics(handle.db, schema, 500)).toContain("instance_meta");
    // A few changes to a table are below the threshold.
    expect(await tablesWithStaleStatistics(handle.db, schema, 500)).not.toContain("users");

    const keeper = new PlannerStatsKeeper(
      handle.db,
      schema,
      createLogger({ level: "silent", format: "json" }),
      500,
    );
    await keeper.runOnce();
    await sql`SELECT pg_stat_clear_snapshot()`.execute(handle.db);
    const row = await sql<{ analysed: boolean; tuples: number }>`
      SELECT s.last_analyze IS NOT NULL AS analysed, c.reltuples::int AS tuples
      FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.schemaname = ${schema} AND s.relname = 'instance_meta'`.execute(handle.db);
    expect(row.rows[0]).toEqual({ analysed: true, tuples: expect.any(Number) });
    expect(row.rows[0]!.tuples).toBeGreaterThanOrEqual(600);
    expect(await tablesWithStaleStatistics(handle.db, schema, 500)).not.toContain("instance_meta");
    await keeper.stop();
  });
});
