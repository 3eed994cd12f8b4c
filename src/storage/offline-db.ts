import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Driver,
} from "kysely";
import type { Db } from "./database.ts";

/** What an offline Db throws on every query. */
export class OfflineQueryError extends Error {
  constructor() {
    super("this work was to be done without the database");
  }
}

class OfflineDriver implements Driver {
  touched = false;
  async init(): Promise<void> {}
  acquireConnection(): Promise<DatabaseConnection> {
    this.touched = true;
    return Promise.reject(new OfflineQueryError());
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/**
 * A Db that refuses every query, so code written against a Db can be run on what the caller holds in
 * memory: `touched()` tells afterwards whether it tried to reach the database (even where that code
 * caught the error), in which case its results must not be trusted.
 */
export function offlineDb(): { db: Db; touched(): boolean } {
  const driver = new OfflineDriver();
  const db: Db = new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return { db, touched: () => driver.touched };
}
