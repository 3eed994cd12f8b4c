import type { ColumnType } from "kysely";

/** Kysely views of the tables in migrations/0012_e2ee.sql; bigint columns read as strings. */
type BigIntColumn = ColumnType<string, number, number>;
type Generated<T> = ColumnType<T, T | undefined, T>;

export interface E2eDeviceKeysTable {
  user_id: string;
  device_id: string;
  key_json: string;
}

export interface E2eOneTimeKeysTable {
  /** bigserial: assigned by the database, never written. */
  seq: ColumnType<string, never, never>;
  user_id: string;
  device_id: string;
  algorithm: string;
  key_id: string;
  key_json: string;
}

export interface E2eFallbackKeysTable {
  user_id: string;
  device_id: string;
  algorithm: string;
  key_id: string;
  key_json: string;
  used: Generated<boolean>;
}

export interface E2eCrossSigningKeysTable {
  user_id: string;
  key_type: string;
  public_key: string;
  key_json: string;
}

export interface E2eKeySignaturesTable {
  target_user_id: string;
  target_key_id: string;
  signer_user_id: string;
  signer_key_id: string;
  signature: string;
}

export interface DeviceListChangesTable {
  stream_id: BigIntColumn;
  user_id: string;
  device_id: string | null;
}

export interface ToDeviceInboxTable {
  stream_id: BigIntColumn;
  user_id: string;
  device_id: string;
  sender: string;
  type: string;
  content: string;
}

export interface ToDeviceHighWaterTable {
  single: Generated<boolean>;
  position: BigIntColumn;
}

export interface ToDeviceTxnsTable {
  user_id: string;
  device_id: string;
  txn_id: string;
  created_ts: BigIntColumn;
}

export interface RoomKeyBackupVersionsTable {
  user_id: string;
  version: BigIntColumn;
  algorithm: string;
  auth_data: string;
  etag: ColumnType<string, number | undefined, number>;
  deleted: Generated<boolean>;
}

export interface RoomKeyBackupsTable {
  user_id: string;
  version: BigIntColumn;
  room_id: string;
  session_id: string;
  first_message_index: BigIntColumn;
  forwarded_count: BigIntColumn;
  is_verified: boolean;
  session_data: string;
}

export interface E2eRemoteDeviceListsTable {
  user_id: string;
  stream_id: BigIntColumn;
  devices: string;
  master_key: string | null;
  self_signing_key: string | null;
  updated_ts: BigIntColumn;
}

export interface E2eeTables {
  e2e_device_keys: E2eDeviceKeysTable;
  e2e_one_time_keys: E2eOneTimeKeysTable;
  e2e_fallback_keys: E2eFallbackKeysTable;
  e2e_cross_signing_keys: E2eCrossSigningKeysTable;
  e2e_key_signatures: E2eKeySignaturesTable;
  device_list_changes: DeviceListChangesTable;
  to_device_inbox: ToDeviceInboxTable;
  to_device_high_water: ToDeviceHighWaterTable;
  to_device_txns: ToDeviceTxnsTable;
  room_key_backup_versions: RoomKeyBackupVersionsTable;
  room_key_backups: RoomKeyBackupsTable;
  e2e_remote_device_lists: E2eRemoteDeviceListsTable;
}
