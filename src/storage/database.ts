import { Kysely, PostgresDialect, type DatabaseIntrospector, type PostgresDialectConfig } from "kysely";
import pg from "pg";
import type { Database } from "./schema.ts";
import { SchemaIntrospector } from "./schema-introspector.ts";

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  schema: string;
  close(): Promise<void>;
}

/** PostgreSQL, with introspection (the migrator's) confined to the instance's schema. */
class SchemaDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly schema: string,
  ) {
    super(config);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.schema);
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid database schema name: ${schema}`);
}

/**
 * Opens a pool whose sessions all use `schema` first, so test files (and co-hosted instances) can share
 * one database with a schema each.
 */
export function openDatabase(url: string, schema: string, poolMax: number): DbHandle {
  assertSchemaName(schema);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    options: `-c search_path=${schema}`,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on("error", () => undefined);
  const db = new Kysely<Database>({ dialect: new SchemaDialect({ pool }, schema) });
  return {
    db,
    pool,
    schema,
    close: () => db.destroy(),
  };
}
