import { sql } from "kysely";
import { afterAll, expect, it } from "vitest";
import { openDatabase } from "../../src/storage/database.ts";
import { migrateToLatest } from "../../src/storage/migrate.ts";
import { dropSchema, testDatabaseUrl, uniqueSchema } from "../support/database.ts";

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

it("introspection (the migrator's) sees the instance's own schema only, so others' drops cannot break it", async () => {
  const own = uniqueSchema("intro");
  const other = uniqueSchema("intro");
  schemas.push(own, other);
  const a = openDatabase(testDatabaseUrl(), own, 2);
  const b = openDatabase(testDatabaseUrl(), other, 2);
  try {
    await migrateToLatest(a.db, own);
    await sql`CREATE SCHEMA ${sql.id(other)}`.execute(b.db);
    await sql`CREATE TABLE ${sql.id(other)}.elsewhere (id int)`.execute(b.db);
    const tables = await a.db.introspection.getTables();
    expect(tables.map((t) => t.schema)).toEqual(tables.map(() => own));
    const meta = tables.find((t) => t.name === "instance_meta");
    expect(meta?.columns.map((c) => c.name)).toEqual(["key", "value"]);
    expect(tables.some((t) => t.name === "elsewhere")).toBe(false);
    expect(await a.db.introspection.getSchemas()).toEqual([{ name: own }]);
    // Dropping another schema while this one migrates again changes nothing here.
    await Promise.all([migrateToLatest(a.db, own), sql`DROP SCHEMA ${sql.id(other)} CASCADE`.execute(b.db)]);
  } finally {
    await a.close();
    await b.close();
  }
});
