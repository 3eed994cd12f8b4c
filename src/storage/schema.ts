import type { ColumnType } from "kysely";

/** Tables as Kysely sees them; each mirrors a migration in migrations/. */
export interface InstanceMetaTable {
  key: string;
  value: ColumnType<unknown, string, string>;
}

/** bigint columns come back from pg as strings; repositories convert them. */
type BigIntColumn = ColumnType<string, number, number>;
type NullableBigIntColumn = ColumnType<string | null, number | null, number | null>;

export interface UsersTable {
  user_id: string;
  password_hash: string | null;
  is_admin: ColumnType<boolean, boolean | undefined, boolean>;
  is_guest: ColumnType<boolean, boolean | undefined, boolean>;
  deactivated: ColumnType<boolean, boolean | undefined, boolean>;
  created_ts: BigIntColumn;
}

export interface DevicesTable {
  user_id: string;
  device_id: string;
  display_name: string | null;
  last_seen_ip: ColumnType<string | null, string | null | undefined, string | null>;
  last_seen_ts: ColumnType<string | null, number | null | undefined, number | null>;
  created_ts: BigIntColumn;
}

export interface AccessTokensTable {
  token_hash: Buffer;
  user_id: string;
  device_id: string;
  created_ts: BigIntColumn;
  expires_ts: NullableBigIntColumn;
}

export interface Database {
  instance_meta: InstanceMetaTable;
  users: UsersTable;
  devices: DevicesTable;
  access_tokens: AccessTokensTable;
}
