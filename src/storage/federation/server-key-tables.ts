import type { ColumnType } from "kysely";

/** Kysely view of migrations/0008_server_keys.sql. */
export interface ServerKeysTable {
  server_name: string;
  key_id: string;
  public_key: string;
  /** bigint columns come back from pg as strings. */
  valid_until_ts: ColumnType<string, number, number>;
  expired_ts: ColumnType<string | null, number | null, number | null>;
  fetched_ts: ColumnType<string, number, number>;
  response_json: string;
}

export interface ServerKeyTables {
  server_keys: ServerKeysTable;
}
