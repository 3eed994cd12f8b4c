import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { forbidden, invalidParam, notFound } from "../errors.ts";
import { getEvents } from "../storage/rooms/events.ts";
import { getCurrentMembership } from "../storage/rooms/membership-history.ts";
import { getReceipt, upsertReceipt, type ReceiptRow } from "../storage/sync/receipts.ts";
import { federateReceipt } from "../federation/sender/edu-fanout.ts";
import { setAccountData } from "./account-data.ts";

type ReceiptContext = Pick<HearthContext, "db" | "sync" | "clock">;
/** Local users' receipts also go to the other servers in the room. */
type LocalReceiptContext = ReceiptContext & Pick<HearthContext, "serverName" | "federation" | "log">;

export const RECEIPT_TYPES: ReadonlySet<string> = new Set(["m.read", "m.read.private", "m.fully_read"]);

/** Receipts and read markers are for rooms the user is in. */
export async function requireJoined(
  ctx: Pick<HearthContext, "db">,
  roomId: string,
  userId: string,
): Promise<void> {
  const membership = await getCurrentMembership(ctx.db, roomId, userId);
  if (membership?.membership !== "join") throw forbidden(`You are not joined to ${roomId}.`);
}

/** The event, which must be one of the room's (a receipt or marker elsewhere would point nowhere). */
async function requireRoomEvent(
  ctx: Pick<HearthContext, "db">,
  roomId: string,
  eventIds: readonly string[],
): Promise<Map<string, number | null>> {
  const found = await getEvents(ctx.db, eventIds);
  const streams = new Map<string, number | null>();
  for (const id of eventIds) {
    const ev = found.get(id);
    if (!ev || ev.roomId !== roomId || ev.outlier || ev.rejectedReason !== null) {
      throw notFound(`Event ${id} not found in ${roomId}.`);
    }
    streams.set(id, ev.streamOrdering);
  }
  return streams;
}

/** `thread_id`: absent (unthreaded), "main", or a thread root's event id. */
export function parseThreadId(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value === "") {
    throw invalidParam("thread_id field must be a non-empty string");
  }
  if ((value !== "main" && !value.startsWith("$")) || value.includes("\u0000")) {
    throw invalidParam('thread_id must be "main" or an event ID');
  }
  return value;
}

async function storeReceipt(
  ctx: ReceiptContext,
  userId: string,
  roomId: string,
  receiptType: "m.read" | "m.read.private",
  eventId: string,
  eventStream: number | null,
  threadId: string | undefined,
): Promise<Omit<ReceiptRow, "streamId"> | undefined> {
  const existing = await getReceipt(ctx.db, roomId, receiptType, userId, threadId);
  if (existing?.eventId === eventId) return undefined;
  if (existing) {
    // Receipts are "read up to" markers: one pointing further back than the current one is ignored.
    const old = (await getEvents(ctx.db, [existing.eventId])).get(existing.eventId)?.streamOrdering ?? null;
    if (old !== null && eventStream !== null && eventStream < old) return undefined;
  }
  const row: Omit<ReceiptRow, "streamId"> = {
    roomId,
    receiptType,
    userId,
    threadId,
    eventId,
    ts: ctx.clock(),
  };
  await ctx.sync.receipts.write(
    (position) => upsertReceipt(ctx.db, { ...row, streamId: position }),
    // A private receipt concerns nobody else's sync.
    () => (receiptType === "m.read.private" ? { userIds: [userId] } : { roomIds: [roomId] }),
  );
  return row;
}

/**
 * A public read receipt a remote user's server reported (m.receipt EDU). The caller has checked that
 * the user is joined and that their server sent it; unknown events are ignored like stale ones.
 */
export async function setRemoteReceipt(
  ctx: ReceiptContext,
  userId: string,
  roomId: string,
  eventId: string,
  threadId: string | undefined,
): Promise<boolean> {
  const ev = (await getEvents(ctx.db, [eventId])).get(eventId);
  if (!ev || ev.roomId !== roomId || ev.outlier || ev.rejectedReason !== null) return false;
  await storeReceipt(ctx, userId, roomId, "m.read", eventId, ev.streamOrdering, threadId);
  return true;
}

export interface ReadMarkers {
  fullyRead?: string;
  read?: string;
  readPrivate?: string;
  threadId?: string;
}

/**
 * POST /receipt and POST /read_markers: checks membership and events, then stores each marker.
 * m.fully_read is room account data (clients may not set it directly, only through here).
 */
export async function setReadMarkers(
  ctx: LocalReceiptContext,
  userId: string,
  roomId: string,
  markers: ReadMarkers,
): Promise<void> {
  await requireJoined(ctx, roomId, userId);
  const ids = [markers.fullyRead, markers.read, markers.readPrivate].filter((id) => id !== undefined);
  const streams = await requireRoomEvent(ctx, roomId, ids);
  if (markers.fullyRead !== undefined) {
    const content: JsonObject = { event_id: markers.fullyRead };
    await setAccountData(ctx, userId, roomId, "m.fully_read", content);
  }
  for (const [type, eventId] of [
    ["m.read", markers.read],
    ["m.read.private", markers.readPrivate],
  ] as const) {
    if (eventId === undefined) continue;
    const stored = await storeReceipt(
      ctx,
      userId,
      roomId,
      type,
      eventId,
      streams.get(eventId) ?? null,
      markers.threadId,
    );
    // Private receipts never leave this server.
    if (stored && type === "m.read") await federateReceipt(ctx, stored);
  }
}

/**
 * Receipts as the m.receipt event content: `{eventId: {type: {userId: {ts, thread_id?}}}}`, one event
 * per room for all changes (spec: "SHOULD be batched into one event per room").
 */
export function receiptContent(rows: readonly ReceiptRow[]): JsonObject {
  const content: Record<string, Record<string, Record<string, JsonObject>>> = {};
  for (const r of rows) {
    const byType = (content[r.eventId] ??= {});
    const byUser = (byType[r.receiptType] ??= {});
    const data: JsonObject = { ts: r.ts };
    if (r.threadId !== undefined) data.thread_id = r.threadId;
    byUser[r.userId] = data;
  }
  return content as JsonObject;
}
