import { sql } from "kysely";
import type { Db } from "./database.ts";
import type { Logger } from "../util/logger.ts";

/**
 * Tables of `schema` changed by more than their size when last analysed, and by at least `minChanges`
 * rows: a young database filling fast (a first chat, a join that brings a large room's state) whose
 * planner statistics still describe near-empty tables, so PostgreSQL picks sequential scans for what
 * are index lookups. Autovacuum gets there too, but only about once a minute.
 */
export async function tablesWithStaleStatistics(
  db: Db,
  schema: string,
  minChanges: number,
): Promise<string[]> {
  const rows = await sql<{ relname: string }>`
    SELECT relname FROM pg_stat_user_tables
    WHERE schemaname = ${schema} AND n_mod_since_analyze >= ${minChanges}
      AND n_mod_since_analyze > n_live_tup - n_mod_since_analyze
  `.execute(db);
  return rows.rows.map((r) => r.relname);
}

export async function analyzeTable(db: Db, schema: string, table: string): Promise<void> {
  await sql`ANALYZE ${sql.table(`${schema}.${table}`)}`.execute(db);
}

/** Analyses tables whose statistics went stale (see tablesWithStaleStatistics) every `intervalMs`. */
export class PlannerStatsKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly schema: string,
    private readonly log: Logger,
    private readonly minChanges = 500,
  ) {}

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  /** One pass; resolves when the stale tables have been analysed. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      try {
        for (const table of await tablesWithStaleStatistics(this.db, this.schema, this.minChanges)) {
          await analyzeTable(this.db, this.schema, table);
          this.log.debug({ table }, "planner statistics refreshed");
        }
      } catch (err) {
        this.log.warn({ err }, "refreshing planner statistics failed");
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
