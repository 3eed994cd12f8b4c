import type { ColumnType } from "kysely";

/** Kysely views of the tables in migrations/0013_admin.sql; bigint columns read as strings. */
type BigIntColumn = ColumnType<string, number, number>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface BlockedRoomsTable {
  room_id: string;
  blocked_by: string;
  blocked_ts: BigIntColumn;
}

export interface RoomDeletionsTable {
  delete_id: string;
  room_id: string;
  requested_by: string;
  block: boolean;
  purge: boolean;
  force_purge: boolean;
  status: string;
  error: ColumnType<string | null, string | null | undefined, string | null>;
  kicked_users: Defaulted<string[]>;
  failed_to_kick_users: Defaulted<string[]>;
  local_aliases: Defaulted<string[]>;
  created_ts: BigIntColumn;
  updated_ts: BigIntColumn;
}

export interface PendingRoomLeavesTable {
  user_id: string;
  requested_by: string;
  requested_ts: BigIntColumn;
}

export interface RegistrationNoncesTable {
  nonce: string;
  created_ts: BigIntColumn;
}

export interface AdminTables {
  blocked_rooms: BlockedRoomsTable;
  room_deletions: RoomDeletionsTable;
  pending_room_leaves: PendingRoomLeavesTable;
  registration_nonces: RegistrationNoncesTable;
}
