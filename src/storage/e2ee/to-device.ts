import { sql } from "kysely";
import type { Db } from "../database.ts";

export interface OutgoingToDevice {
  userId: string;
  /** A device id, or "*" for all of the user's devices. */
  deviceId: string;
  /** Content as JSON text. */
  content: string;
}

/**
 * How long a device's sendToDevice transaction ids are remembered. Clients retry within seconds or
 * minutes; a day is generous, and keeps the table from growing with every message ever sent.
 */
export const TO_DEVICE_TXN_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Records the transaction id; false when the same device already used it (a retry: send nothing).
 * Run inside the transaction that queues the messages, so a failed send can be retried. The device's
 * ids older than the retention go in the same statement.
 */
export async function claimToDeviceTxn(
  db: Db,
  userId: string,
  deviceId: string,
  txnId: string,
  ts: number,
): Promise<boolean> {
  const cutoff = ts - TO_DEVICE_TXN_RETENTION_MS;
  const result = await sql<{ txn_id: string }>`
    WITH pruned AS (
      DELETE FROM to_device_txns
      WHERE user_id = ${userId} AND device_id = ${deviceId} AND created_ts < ${cutoff} AND txn_id <> ${txnId}
    )
    INSERT INTO to_device_txns (user_id, device_id, txn_id, created_ts)
    VALUES (${userId}, ${deviceId}, ${txnId}, ${ts})
    ON CONFLICT (user_id, device_id, txn_id) DO NOTHING
    RETURNING txn_id
  `.execute(db);
  return result.rows.length > 0;
}

/**
 * Queues messages at `streamId` for the devices that exist (an unknown device id or user queues
 * nothing); returns the recipient users actually reached, and raises the stream's high-water mark.
 */
export async function queueToDevice(
  db: Db,
  streamId: number,
  sender: string,
  type: string,
  messages: readonly OutgoingToDevice[],
): Promise<string[]> {
  if (messages.length === 0) return [];
  const result = await sql<{ user_id: string }>`
    INSERT INTO to_device_inbox (stream_id, user_id, device_id, sender, type, content)
    SELECT DISTINCT ON (d.user_id, d.device_id) ${streamId}::bigint, d.user_id, d.device_id, ${sender}, ${type}, m.content
    FROM unnest(${messages.map((m) => m.userId)}::text[], ${messages.map((m) => m.deviceId)}::text[],
                ${messages.map((m) => m.content)}::text[]) AS m(user_id, device_id, content)
    JOIN devices d ON d.user_id = m.user_id AND (m.device_id = '*' OR d.device_id = m.device_id)
    -- A device named explicitly wins over "*" for the same user (the more specific message).
    ORDER BY d.user_id, d.device_id, (m.device_id = '*')
    ON CONFLICT DO NOTHING
    RETURNING user_id
  `.execute(db);
  await sql`
    INSERT INTO to_device_high_water (single, position) VALUES (true, ${streamId})
    ON CONFLICT (single) DO UPDATE SET position = GREATEST(to_device_high_water.position, EXCLUDED.position)
  `.execute(db);
  return [...new Set(result.rows.map((r) => r.user_id))];
}

export interface InboxMessage {
  streamId: number;
  sender: string;
  type: string;
  content: string;
}

/** The device's messages in (after, upTo], oldest first, at most `limit`. */
export async function readInbox(
  db: Db,
  userId: string,
  deviceId: string,
  after: number,
  upTo: number,
  limit: number,
): Promise<InboxMessage[]> {
  const rows = await db
    .selectFrom("to_device_inbox")
    .select(["stream_id", "sender", "type", "content"])
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .where("stream_id", ">", String(after))
    .where("stream_id", "<=", String(upTo))
    .orderBy("stream_id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    streamId: Number(r.stream_id),
    sender: r.sender,
    type: r.type,
    content: r.content,
  }));
}

/** Deletes what the device acknowledged by syncing with `since` = upTo (delivered at or before it). */
export async function deleteDelivered(db: Db, userId: string, deviceId: string, upTo: number): Promise<void> {
  await db
    .deleteFrom("to_device_inbox")
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .where("stream_id", "<=", String(upTo))
    .execute();
}

/** Where the to_device stream resumes: the highest position ever written (delivered rows are gone). */
export async function maxToDeviceStreamId(db: Db): Promise<number> {
  const row = await db.selectFrom("to_device_high_water").select("position").executeTakeFirst();
  return Number(row?.position ?? 0);
}
