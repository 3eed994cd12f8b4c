import path from "node:path";
import { openDatabase } from "../storage/database.ts";
import { startEmbeddedPostgres } from "../storage/embedded-postgres.ts";
import { migrateToLatest } from "../storage/migrate.ts";
import type { Command } from "./command.ts";
import { CONFIG_OPTION, loadConfigFrom, parseFlags } from "./config-args.ts";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply pending database migrations and exit",
  usage: "hearth migrate [--config PATH]",
  async run(args) {
    const { values } = parseFlags(args, CONFIG_OPTION);
    const config = loadConfigFrom(values.config);
    const embedded = config.database.url
      ? undefined
      : await startEmbeddedPostgres(path.join(config.data_dir, "postgres"));
    const url = config.database.url ?? embedded?.url ?? "";
    const handle = openDatabase(url, config.database.schema, 2);
    try {
      const applied = await migrateToLatest(handle.db, config.database.schema);
      console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
      return 0;
    } finally {
      await handle.close();
      await embedded?.stop();
    }
  },
};
