import type { ColumnType } from "kysely";

/** Kysely views of the tables in migrations/0010_federation_outbox.sql (the sender); bigint columns read as strings. */
type BigIntColumn = ColumnType<string, number, number>;
type NullableBigInt = ColumnType<string | null, number | null | undefined, number | null>;
type NullableText = ColumnType<string | null, string | null | undefined, string | null>;
type NullableBigIntArray = ColumnType<string[] | null, number[] | null | undefined, number[] | null>;

export interface FederationOutboxPdusTable {
  destination: string;
  stream_ordering: BigIntColumn;
  room_id: string;
  event_id: string;
}

export interface FederationOutboxEdusTable {
  destination: string;
  /** Identity column: assigned by the database, never written. */
  edu_id: ColumnType<string, never, never>;
  edu_type: string;
  content: string;
  created_ts: BigIntColumn;
}

export interface FederationDestinationsTable {
  destination: string;
  txn_counter: ColumnType<string, number | undefined, number>;
  failures: ColumnType<number, number | undefined, number>;
  retry_at_ts: NullableBigInt;
  last_success_ts: NullableBigInt;
  pending_txn_id: NullableText;
  pending_body: NullableText;
  pending_pdus: NullableBigIntArray;
  pending_edus: NullableBigIntArray;
}

export interface FederationOutboxTables {
  federation_outbox_pdus: FederationOutboxPdusTable;
  federation_outbox_edus: FederationOutboxEdusTable;
  federation_destinations: FederationDestinationsTable;
}
