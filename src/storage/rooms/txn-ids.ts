import type { Db } from "../database.ts";

export interface TxnScope {
  userId: string;
  deviceId: string;
  /** Endpoint kind and target, e.g. `send/!room:hs/m.room.message`. */
  endpoint: string;
  txnId: string;
}

export async function findTxn(
  db: Db,
  scope: TxnScope,
): Promise<{ eventId: string; requestHash: Buffer } | undefined> {
  const row = await db
    .selectFrom("event_txn_ids")
    .select(["event_id", "request_hash"])
    .where("user_id", "=", scope.userId)
    .where("device_id", "=", scope.deviceId)
    .where("endpoint", "=", scope.endpoint)
    .where("txn_id", "=", scope.txnId)
    .executeTakeFirst();
  return row ? { eventId: row.event_id, requestHash: row.request_hash } : undefined;
}

export async function insertTxn(
  tx: Db,
  scope: TxnScope,
  eventId: string,
  requestHash: Buffer,
  createdTs: number,
): Promise<void> {
  await tx
    .insertInto("event_txn_ids")
    .values({
      user_id: scope.userId,
      device_id: scope.deviceId,
      endpoint: scope.endpoint,
      txn_id: scope.txnId,
      event_id: eventId,
      request_hash: requestHash,
      created_ts: createdTs,
    })
    .execute();
}
