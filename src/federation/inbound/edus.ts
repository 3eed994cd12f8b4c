import { domainOf } from "../../core/auth/identifiers.ts";
import { isJsonObject, type JsonObject } from "../../core/json.ts";
import type { HearthContext } from "../../context.ts";
import { getCurrentMembership } from "../../storage/rooms/memberships.ts";
import { joinedRoomIds } from "../../storage/sync/shared-rooms.ts";
import { PRESENCE_STATES, setRemotePresence, type PresenceState } from "../../sync/presence.ts";
import { setRemoteReceipt } from "../../sync/receipts.ts";
import { DEFAULT_TYPING_TIMEOUT_MS } from "../../sync/typing.ts";
import { isServerAllowedInRoom } from "./room-acl.ts";

/** Handles one EDU's content from `origin` (already authenticated). Bad content is ignored, not thrown. */
export type EduHandler = (ctx: HearthContext, origin: string, content: JsonObject) => Promise<void>;

/**
 * EDU types to handlers. Typing, receipts and presence are built in; others (device lists,
 * to-device, signing keys) are registered by their owners; unknown types are ignored, as the spec says.
 */
export class EduDispatch {
  private readonly handlers = new Map<string, EduHandler>([
    ["m.typing", handleTyping],
    ["m.receipt", handleReceipt],
    ["m.presence", handlePresence],
  ]);

  register(eduType: string, handler: EduHandler): void {
    this.handlers.set(eduType, handler);
  }

  async dispatch(ctx: HearthContext, origin: string, eduType: string, content: JsonObject): Promise<void> {
    const handler = this.handlers.get(eduType);
    if (!handler) return;
    try {
      await handler(ctx, origin, content);
    } catch (e) {
      // One bad EDU must not fail the transaction (the sender would retry it forever).
      ctx.log.warn({ err: e, origin, eduType }, "inbound EDU failed");
    }
  }
}

/** The user belongs to the origin and is joined to the room, whose ACL admits the origin. */
async function mayActInRoom(
  ctx: HearthContext,
  origin: string,
  roomId: string,
  userId: string,
): Promise<boolean> {
  if (domainOf(userId) !== origin) return false;
  if ((await getCurrentMembership(ctx.db, roomId, userId))?.membership !== "join") return false;
  return isServerAllowedInRoom(ctx, roomId, origin);
}

async function handleTyping(ctx: HearthContext, origin: string, content: JsonObject): Promise<void> {
  const { room_id: roomId, user_id: userId, typing } = content;
  if (typeof roomId !== "string" || typeof userId !== "string" || typeof typing !== "boolean") return;
  if (!(await mayActInRoom(ctx, origin, roomId, userId))) return;
  ctx.sync.typing.setTyping(roomId, userId, typing, DEFAULT_TYPING_TIMEOUT_MS);
}

/** `{roomId: {"m.read": {userId: {event_ids: [...], data: {ts, thread_id?}}}}}` (the federation shape). */
async function handleReceipt(ctx: HearthContext, origin: string, content: JsonObject): Promise<void> {
  for (const [roomId, byType] of Object.entries(content)) {
    if (!isJsonObject(byType)) continue;
    const reads = byType["m.read"];
    if (!isJsonObject(reads)) continue;
    for (const [userId, receipt] of Object.entries(reads)) {
      if (!isJsonObject(receipt) || !Array.isArray(receipt.event_ids)) continue;
      const eventId = receipt.event_ids[0];
      if (typeof eventId !== "string") continue;
      const data = isJsonObject(receipt.data) ? receipt.data : {};
      const threadId =
        typeof data.thread_id === "string" && data.thread_id !== "" ? data.thread_id : undefined;
      if (!(await mayActInRoom(ctx, origin, roomId, userId))) continue;
      await setRemoteReceipt(ctx, userId, roomId, eventId, threadId);
    }
  }
}

async function handlePresence(ctx: HearthContext, origin: string, content: JsonObject): Promise<void> {
  if (!Array.isArray(content.push)) return;
  const now = ctx.clock();
  for (const p of content.push) {
    if (!isJsonObject(p) || typeof p.user_id !== "string" || domainOf(p.user_id) !== origin) continue;
    if (typeof p.presence !== "string" || !PRESENCE_STATES.has(p.presence)) continue;
    // Only users who share a room with us: anyone else's presence concerns nobody here.
    if ((await joinedRoomIds(ctx.db, p.user_id)).length === 0) continue;
    const ago = typeof p.last_active_ago === "number" && p.last_active_ago >= 0 ? p.last_active_ago : 0;
    await setRemotePresence(ctx, p.user_id, {
      state: p.presence as PresenceState,
      statusMsg: typeof p.status_msg === "string" ? p.status_msg : null,
      lastActiveTs: now - ago,
    });
  }
}
