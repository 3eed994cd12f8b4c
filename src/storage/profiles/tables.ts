import type { ColumnType } from "kysely";

/** Kysely view of migrations/0007_profiles_directory.sql. */
export interface ProfileFieldsTable {
  user_id: string;
  field_name: string;
  /** jsonb: pg parses it on read; writes pass JSON text. */
  value: ColumnType<unknown, string, string>;
  updated_ts: ColumnType<string, number, number>;
}

export interface ProfilesTables {
  profile_fields: ProfileFieldsTable;
}
