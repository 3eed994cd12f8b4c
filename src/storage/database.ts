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

/** Statements one connection keeps prepared; texts past this many run unnamed (planned each time). */
export const PREPARED_PER_CONNECTION = 300;

/**
 * A client that prepares each parameterised statement once per connection and reuses it, so the
 * server parses and plans it once rather than on every execution (most of a short query's cost).
 * Texts without parameters (BEGIN, lock statements with literals) go through the simple protocol.
 */
class PreparingClient extends pg.Client {
  private readonly names = new Map<string, string>();

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's overloaded signature
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === "string" && Array.isArray(values) && values.length > 0) {
      let name = this.names.get(config);
      if (name === undefined && this.names.size < PREPARED_PER_CONNECTION) {
        name = `h${this.names.size}`;
        this.names.set(config, name);
      }
      if (name !== undefined && callback === undefined) return this.named(name, config, values);
    }
    return super.query(config, values, callback);
  }

  /** A named statement, built as a Query itself: a config object would be cloned on every call. */
  private named(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      const query = new pg.Query(text, values, (err: Error | undefined, result: pg.QueryResult) =>
        err ? reject(err) : resolve(result),
      );
      // Not in pg's types, though Query reads it (it is what makes the statement named).
      (query as unknown as { name: string }).name = name;
      super.query(query);
    });
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
    Client: PreparingClient,
    // Generic plans: planning a statement once is the point of preparing it. With "auto", PostgreSQL
    // keeps re-planning statements whose generic plan it rates worse than their custom plans (the
    // sync timeline read among them), and planning cost more than running them. Our statements look
    // rows up by key, where a generic plan is as good; PlannerStatsKeeper's ANALYZE replaces plans
    // made while a table was nearly empty.
    options: `-c search_path=${schema} -c plan_cache_mode=force_generic_plan`,
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
