import type { ColumnType } from "kysely";

/** Kysely views of the tables in migrations/0004_accounts_more.sql; bigint columns read as strings. */
type BigIntColumn = ColumnType<string, number, number>;
type NullableBigIntColumn = ColumnType<string | null, number | null | undefined, number | null>;

export interface RefreshTokensTable {
  /** bigserial: assigned by the database, never written. */
  id: ColumnType<string, never, never>;
  token_hash: Buffer;
  user_id: string;
  device_id: string;
  created_ts: BigIntColumn;
  expires_ts: NullableBigIntColumn;
  next_token_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface LoginTokensTable {
  token_hash: Buffer;
  user_id: string;
  created_ts: BigIntColumn;
  expires_ts: BigIntColumn;
}

export interface UiaSessionsTable {
  session_id: string;
  action: string;
  user_id: ColumnType<string | null, string | null | undefined, string | null>;
  completed: ColumnType<string[], string[] | undefined, string[]>;
  registration_token: ColumnType<string | null, string | null | undefined, string | null>;
  created_ts: BigIntColumn;
  expires_ts: BigIntColumn;
}

export interface RegistrationTokensTable {
  token: string;
  uses_allowed: ColumnType<number | null, number | null | undefined, number | null>;
  completed: ColumnType<number, number | undefined, number>;
  expiry_ts: NullableBigIntColumn;
  created_ts: BigIntColumn;
}

export interface AccountsMoreTables {
  refresh_tokens: RefreshTokensTable;
  login_tokens: LoginTokensTable;
  uia_sessions: UiaSessionsTable;
  registration_tokens: RegistrationTokensTable;
}
