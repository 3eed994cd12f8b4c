import type { ColumnType } from "kysely";
import type { AccountsMoreTables } from "./accounts/tables.ts";
import type { E2eeTables } from "./e2ee/tables.ts";
import type { FederationOutboxTables } from "./federation/outbox-tables.ts";
import type { AdminTables } from "./admin/tables.ts";
import type { MediaTables } from "./media/tables.ts";
import type { ServerKeyTables } from "./federation/server-key-tables.ts";
import type { FederationInboundTables } from "./federation/tables.ts";
import type { ProfilesTables } from "./profiles/tables.ts";
import type { SyncTables } from "./sync/tables.ts";

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
  refresh_token_id: ColumnType<string | null, string | null | undefined, string | null>;
}

type Generated<T> = ColumnType<T, T | undefined, T>;
type NullableBigInt = ColumnType<string | null, number | null | undefined, number | null>;

export interface RoomsTable {
  room_id: string;
  room_version: string;
  creator: string | null;
  is_public: Generated<boolean>;
  created_ts: BigIntColumn;
}

export interface EventsTable {
  event_id: string;
  room_id: string;
  stream_ordering: NullableBigInt;
  topological_ordering: BigIntColumn;
  type: string;
  state_key: string | null;
  sender: string;
  origin_server_ts: BigIntColumn;
  pdu: string;
  outlier: Generated<boolean>;
  rejected_reason: ColumnType<string | null, string | null | undefined, string | null>;
  soft_failed: Generated<boolean>;
  redacted_by: ColumnType<string | null, string | null | undefined, string | null>;
  state_group_before: NullableBigInt;
  state_group_after: NullableBigInt;
  relates_to_id: ColumnType<string | null, string | null | undefined, string | null>;
  relation_type: ColumnType<string | null, string | null | undefined, string | null>;
  created_ts: BigIntColumn;
  /** Added by 0005. */
  redacts: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface EventEdgesTable {
  event_id: string;
  prev_event_id: string;
}

export interface EventAuthEdgesTable {
  event_id: string;
  auth_event_id: string;
}

export interface ForwardExtremitiesTable {
  room_id: string;
  event_id: string;
}

export interface StateGroupsTable {
  id: ColumnType<string, never, never>;
  room_id: string;
  prev_group: NullableBigInt;
  delta_depth: Generated<number>;
}

export interface StateGroupEntriesTable {
  state_group: BigIntColumn;
  type: string;
  state_key: string;
  event_id: string | null;
}

export interface CurrentStateTable {
  room_id: string;
  type: string;
  state_key: string;
  event_id: string;
}

export interface RoomMembershipsTable {
  event_id: string;
  room_id: string;
  user_id: string;
  sender: string;
  membership: string;
  stream_ordering: NullableBigInt;
}

export interface CurrentMembershipsTable {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_ordering: NullableBigInt;
  forgotten: Generated<boolean>;
}

export interface EventTxnIdsTable {
  user_id: string;
  device_id: string;
  endpoint: string;
  txn_id: string;
  event_id: string;
  request_hash: Buffer;
  created_ts: BigIntColumn;
}

export interface RoomAliasesTable {
  room_alias: string;
  room_id: string;
  creator: string;
  created_ts: BigIntColumn;
}

export interface Database
  extends
    AccountsMoreTables,
    SyncTables,
    ProfilesTables,
    FederationInboundTables,
    ServerKeyTables,
    E2eeTables,
    AdminTables,
    MediaTables,
    FederationOutboxTables {
  instance_meta: InstanceMetaTable;
  users: UsersTable;
  devices: DevicesTable;
  access_tokens: AccessTokensTable;
  rooms: RoomsTable;
  events: EventsTable;
  event_edges: EventEdgesTable;
  event_auth_edges: EventAuthEdgesTable;
  forward_extremities: ForwardExtremitiesTable;
  state_groups: StateGroupsTable;
  state_group_entries: StateGroupEntriesTable;
  current_state: CurrentStateTable;
  room_memberships: RoomMembershipsTable;
  current_memberships: CurrentMembershipsTable;
  event_txn_ids: EventTxnIdsTable;
  room_aliases: RoomAliasesTable;
}
