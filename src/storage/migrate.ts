import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from "kysely";
import { PROJECT_ROOT } from "../util/project-root.ts";
import type { Db } from "./database.ts";

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "migrations");
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** Reads `NNNN_name.sql` files; each runs as one multi-statement query inside the migrator's transaction. */
export class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => MIGRATION_FILE.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(path.join(this.dir, file), "utf8");
      migrations[file.replace(/\.sql$/, "")] = {
        up: async (db) => {
          await sql.raw(text).execute(db);
        },
      };
    }
    return migrations;
  }
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly failed: string | undefined,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

/** Creates the schema if needed and applies every pending migration in order. Returns what ran. */
export async function migrateToLatest(db: Db, schema: string, dir?: string): Promise<string[]> {
  await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: new SqlFileMigrationProvider(dir),
    migrationTableSchema: schema,
    // Migration numbers are reserved per work area, so a lower number can land after a higher one
    // has run; areas' migrations touch disjoint tables, so applying the late one then is safe.
    allowUnorderedMigrations: true,
  });
  // Its introspection sees this schema only (schema-introspector.ts), so other instances' drops
  // cannot fail it.
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${failed ?? "(setup)"} failed: ${reason}`, failed, error);
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
