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

export async function getDestination(db: Db, destination: string): Promise<DestinationState> {
  const row = await db
    .selectFrom("federation_destinations")
    .selectAll()
    .where("destination", "=", destination)
    .executeTakeFirst();
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

/** Takes the destination's next transaction number (1, 2, …). */
export async function nextTxnNumber(db: Db, destination: string): Promise<number> {
  const row = await db
    .insertInto("federation_destinations")
    .values({ destination, txn_counter: 1 })
    .onConflict((oc) =>
      oc.column("destination").doUpdateSet({ txn_counter: sql`federation_destinations.txn_counter + 1` }),
    )
    .returning("txn_counter")
    .executeTakeFirstOrThrow();
  return Number(row.txn_counter);
}

/** Remembers the transaction before it is sent, so a retry (even after a restart) resends it unchanged. */
export async function setPendingTransaction(
  db: Db,
  destination: string,
  txn: PendingTransaction,
): Promise<void> {
  await db
    .updateTable("federation_destinations")
    .set({
      pending_txn_id: txn.txnId,
      pending_body: txn.body,
      pending_pdus: txn.pdus,
      pending_edus: txn.edus,
    })
    .where("destination", "=", destination)
    .execute();
}

/**
 * The transaction got its answer (200, or a refusal it would get again): its outbox rows go, the
 * slot frees. On success the backoff resets too.
 */
export async function finishTransaction(
  db: Db,
  destination: string,
  txn: PendingTransaction,
  success: { now: number } | undefined,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    if (txn.pdus.length > 0) {
      await tx
        .deleteFrom("federation_outbox_pdus")
        .where("destination", "=", destination)
        .where("stream_ordering", "in", txn.pdus.map(String))
        .execute();
    }
    if (txn.edus.length > 0) {
      await tx
        .deleteFrom("federation_outbox_edus")
        .where("destination", "=", destination)
        .where("edu_id", "in", txn.edus.map(String))
        .execute();
    }
    await tx
      .updateTable("federation_destinations")
      .set({
        pending_txn_id: null,
        pending_body: null,
        pending_pdus: null,
        pending_edus: null,
        ...(success ? { failures: 0, retry_at_ts: null, last_success_ts: success.now } : {}),
      })
      .where("destination", "=", destination)
      .execute();
  });
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
