import type { ColumnType } from "kysely";

/** Tables as Kysely sees them; each mirrors a migration in migrations/. */
export interface InstanceMetaTable {
  key: string;
  value: ColumnType<unknown, string, string>;
}

export interface Database {
  instance_meta: InstanceMetaTable;
}
