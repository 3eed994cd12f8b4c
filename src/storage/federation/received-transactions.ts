import { sql } from "kysely";
import type { Db } from "../database.ts";

/** The response text recorded for (origin, txnId), if that transaction was already processed. */
export async function getReceivedTransaction(
  db: Db,
  origin: string,
  txnId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("federation_received_transactions")
    .select("response")
    .where("origin", "=", origin)
    .where("txn_id", "=", txnId)
    .executeTakeFirst();
  return row?.response;
}

/**
 * How long received transaction ids are remembered. Senders retry a transaction within minutes to
 * hours of backoff; a day covers them without keeping every transaction ever received.
 */
export const RECEIVED_TXN_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Rows pruned per recorded transaction at most, so one insert never does a large delete. */
const PRUNE_BATCH = 100;

/**
 * Records the response; a concurrent duplicate that recorded first wins (both answered alike). The
 * same statement prunes a few rows past the retention (an index range on received_ts, empty when
 * nothing is old), so the table stays bounded without a separate task.
 */
export async function recordReceivedTransaction(
  db: Db,
  row: { origin: string; txnId: string; response: string; receivedTs: number },
): Promise<void> {
  const cutoff = row.receivedTs - RECEIVED_TXN_RETENTION_MS;
  await sql`
    WITH pruned AS (
      DELETE FROM federation_received_transactions
      WHERE ctid IN (
        SELECT ctid FROM federation_received_transactions WHERE received_ts < ${cutoff} LIMIT ${PRUNE_BATCH}
      )
    )
    INSERT INTO federation_received_transactions (origin, txn_id, response, received_ts)
    VALUES (${row.origin}, ${row.txnId}, ${row.response}, ${row.receivedTs})
    ON CONFLICT (origin, txn_id) DO NOTHING
  `.execute(db);
}
