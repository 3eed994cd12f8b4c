import type { ColumnType } from "kysely";

/** Kysely view of migrations/0009_federation_inbound.sql. */
export interface FederationReceivedTransactionsTable {
  origin: string;
  txn_id: string;
  response: string;
  received_ts: ColumnType<string, number, number>;
}

export interface FederationInboundTables {
  federation_received_transactions: FederationReceivedTransactionsTable;
}
