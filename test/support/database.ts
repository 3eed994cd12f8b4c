import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import pg from "pg";

export function testDatabaseUrl(): string {
  return inject("databaseUrl");
}

/** A fresh schema name, unique per call, so parallel test files never see each other's tables. */
export function uniqueSchema(prefix = "t"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
