import { sql } from "kysely";
import type { Db } from "../database.ts";

/** The transaction in flight to a destination, exactly as first sent. */
export interface PendingTransaction {
  txnId: string;
  body: string;
  pdus: number[];
  edus: number[];
}

export interface DestinationState {
  destination: string;
  failures: number;
  retryAtTs: number | null;
  pending: PendingTransaction | undefined;
}

/** The columns of a `federation_destinations` row that make its delivery state. */
export interface DestinationRow {
  failures: number;
  retry_at_ts: string | number | null;
  pending_txn_id: string | null;
  pending_body: string | null;
  pending_pdus: (string | number)[] | null;
  pending_edus: (string | number)[] | null;
}

/** The delivery state a row describes; a destination without a row has never failed nor sent. */
export function destinationState(destination: string, row: DestinationRow | undefined): DestinationState {
  if (!row) return { destination, failures: 0, retryAtTs: null, pending: undefined };
  return {
    destination,
    failures: row.failures,
    retryAtTs: row.retry_at_ts === null ? null : Number(row.retry_at_ts),
    pending:
      row.pending_txn_id === null || row.pending_body === null
        ? undefined
        : {
            txnId: row.pending_txn_id,
            body: row.pending_body,
            pdus: (row.pending_pdus ?? []).map(Number),
            edus: (row.pending_edus ?? []).map(Number),
          },
  };
}

export async function getDestination(db: Db, destination: string): Promise<DestinationState> {
  const row = await db
    .selectFrom("federation_destinations")
    .selectAll()
    .where("destination", "=", destination)
    .executeTakeFirst();
  return destinationState(destination, row);
}

/**
 * Takes the destination's next transaction number (1, 2, …) and records the transaction under the id
 * `${idPrefix}.${number}` before it is sent, so a retry (even after a restart) resends it unchanged.
 */
export async function startTransaction(
  db: Db,
  destination: string,
  idPrefix: string,
  txn: Omit<PendingTransaction, "txnId">,
): Promise<PendingTransaction> {
  const result = await sql<{ pending_txn_id: string }>`
    INSERT INTO federation_destinations AS d
      (destination, txn_counter, pending_txn_id, pending_body, pending_pdus, pending_edus)
    VALUES (${destination}, 1, ${idPrefix} || '.1', ${txn.body}, ${txn.pdus}::bigint[], ${txn.edus}::bigint[])
    ON CONFLICT (destination) DO UPDATE SET
      txn_counter = d.txn_counter + 1,
      pending_txn_id = ${idPrefix} || '.' || (d.txn_counter + 1),
      pending_body = excluded.pending_body,
      pending_pdus = excluded.pending_pdus,
      pending_edus = excluded.pending_edus
    RETURNING pending_txn_id
  `.execute(db);
  return { ...txn, txnId: result.rows[0]!.pending_txn_id };
}

/**
 * The transaction got its answer (200, or a refusal it would get again): its outbox rows go, the
 * slot frees, in one statement. On success the backoff resets too. With `next`, the same statement
 * records the following transaction as startTransaction would (one round trip between transactions
 * rather than two), and returns it.
 */
export async function finishTransaction(
  db: Db,
  destination: string,
  txn: PendingTransaction,
  success: { now: number } | undefined,
  next?: Omit<PendingTransaction, "txnId"> & { idPrefix: string },
): Promise<PendingTransaction | undefined> {
  const started = next !== undefined;
  const result = await sql<{ pending_txn_id: string | null }>`
    WITH pdus AS (
      DELETE FROM federation_outbox_pdus
      WHERE destination = ${destination} AND stream_ordering = ANY(${txn.pdus}::bigint[])
    ), edus AS (
      DELETE FROM federation_outbox_edus
      WHERE destination = ${destination} AND edu_id = ANY(${txn.edus}::bigint[])
    )
    UPDATE federation_destinations SET
      txn_counter = CASE WHEN ${started}::boolean THEN txn_counter + 1 ELSE txn_counter END,
      pending_txn_id = ${next?.idPrefix ?? null}::text || '.' || (txn_counter + 1),
      pending_body = ${next?.body ?? null}::text,
      pending_pdus = ${next?.pdus ?? null}::bigint[],
      pending_edus = ${next?.edus ?? null}::bigint[],
      failures = CASE WHEN ${success !== undefined} THEN 0 ELSE failures END,
      retry_at_ts = CASE WHEN ${success !== undefined} THEN NULL ELSE retry_at_ts END,
      last_success_ts = COALESCE(${success?.now ?? null}::bigint, last_success_ts)
    WHERE destination = ${destination}
    RETURNING pending_txn_id
  `.execute(db);
  const txnId = result.rows[0]?.pending_txn_id;
  if (!next || !txnId) return undefined;
  return { txnId, body: next.body, pdus: next.pdus, edus: next.edus };
}

/** Backoff (failures counted) or a Retry-After (failures unchanged). */
export async function setRetry(
  db: Db,
  destination: string,
  failures: number,
  retryAtTs: number | null,
): Promise<void> {
  await db
    .insertInto("federation_destinations")
    .values({ destination, failures, retry_at_ts: retryAtTs })
    .onConflict((oc) => oc.column("destination").doUpdateSet({ failures, retry_at_ts: retryAtTs }))
    .execute();
}

/** Every destination with something to send, and when it may next be tried. */
export async function destinationsWithWork(
  db: Db,
): Promise<Array<{ destination: string; retryAtTs: number | null }>> {
  const result = await sql<{ destination: string; retry_at_ts: string | null }>`
    SELECT w.destination, d.retry_at_ts
    FROM (
      SELECT DISTINCT destination FROM federation_outbox_pdus
      UNION SELECT DISTINCT destination FROM federation_outbox_edus
      UNION SELECT destination FROM federation_destinations WHERE pending_txn_id IS NOT NULL
    ) AS w
    LEFT JOIN federation_destinations d ON d.destination = w.destination
  `.execute(db);
  return result.rows.map((r) => ({
    destination: r.destination,
    retryAtTs: r.retry_at_ts === null ? null : Number(r.retry_at_ts),
  }));
}
