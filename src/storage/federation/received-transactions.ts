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

/** Records the response; a concurrent duplicate that recorded first wins (both answered alike). */
export async function recordReceivedTransaction(
  db: Db,
  row: { origin: string; txnId: string; response: string; receivedTs: number },
): Promise<void> {
  await db
    .insertInto("federation_received_transactions")
    .values({ origin: row.origin, txn_id: row.txnId, response: row.response, received_ts: row.receivedTs })
    .onConflict((oc) => oc.columns(["origin", "txn_id"]).doNothing())
    .execute();
}
