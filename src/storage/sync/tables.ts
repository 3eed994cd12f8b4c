import type { ColumnType } from "kysely";

/** Kysely views of the tables in migrations/0006_sync.sql; bigint columns read as strings. */
type BigIntColumn = ColumnType<string, number, number>;

export interface UserFiltersTable {
  /** Identity column: assigned by the database, never written. */
  filter_id: ColumnType<string, never, never>;
  user_id: string;
  filter_json: string;
  created_ts: BigIntColumn;
}

export interface AccountDataTable {
  user_id: string;
  room_id: string;
  type: string;
  content: string;
  stream_id: BigIntColumn;
}

export interface ReceiptsTable {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  ts: BigIntColumn;
  stream_id: BigIntColumn;
}

export interface PresenceTable {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: BigIntColumn;
  stream_id: BigIntColumn;
}

export interface SyncTables {
  user_filters: UserFiltersTable;
  account_data: AccountDataTable;
  receipts: ReceiptsTable;
  presence: PresenceTable;
}
