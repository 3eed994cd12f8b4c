import type { HearthContext } from "../../context.ts";
import type { JsonObject } from "../../core/json.ts";
import { joinedServers, serversSharingRoomWith } from "../../storage/federation/room-servers.ts";
import { serversAllowedInRoom } from "../inbound/room-acl.ts";
import { serverOf } from "./outbox-writer.ts";

type FanoutContext = Pick<HearthContext, "db" | "serverName" | "federation" | "log">;

/**
 * EDUs about local users go to every other server that shares the room (typing, receipts) or any room
 * (presence) with them. Failures are logged, never thrown: the client's request has already succeeded.
 */
async function fanOut(
  ctx: FanoutContext,
  userId: string,
  servers: () => Promise<string[]>,
  eduType: string,
  content: JsonObject,
): Promise<void> {
  if (serverOf(userId) !== ctx.serverName) return;
  try {
    for (const server of await servers()) {
      if (server !== ctx.serverName) await ctx.federation.sender.queueEdu(server, eduType, content);
    }
  } catch (err) {
    ctx.log.warn({ err, eduType, userId }, "could not queue an EDU for other servers");
  }
}

/** The servers in the room that its server ACL lets take part. */
async function roomServers(ctx: FanoutContext, roomId: string): Promise<string[]> {
  const others = (await joinedServers(ctx.db, roomId)).filter((s) => s !== ctx.serverName);
  // A room of this server's users alone (the common case) needs no ACL read.
  return others.length === 0 ? [] : serversAllowedInRoom(ctx.db, roomId, others);
}

/** m.typing for a local user's typing change in a room. */
export function federateTyping(
  ctx: FanoutContext,
  roomId: string,
  userId: string,
  typing: boolean,
): Promise<void> {
  return fanOut(ctx, userId, () => roomServers(ctx, roomId), "m.typing", {
    room_id: roomId,
    user_id: userId,
    typing,
  });
}

/** m.receipt for a local user's public read receipt (the federation shape, not the client one). */
export function federateReceipt(
  ctx: FanoutContext,
  r: { roomId: string; userId: string; eventId: string; ts: number; threadId: string | undefined },
): Promise<void> {
  const data: JsonObject = { ts: r.ts };
  if (r.threadId !== undefined) data.thread_id = r.threadId;
  return fanOut(ctx, r.userId, () => roomServers(ctx, r.roomId), "m.receipt", {
    [r.roomId]: { "m.read": { [r.userId]: { event_ids: [r.eventId], data } } },
  });
}

/** m.presence for a local user's presence change; `content` is the user's m.presence content. */
export function federatePresence(ctx: FanoutContext, userId: string, content: JsonObject): Promise<void> {
  return fanOut(ctx, userId, () => serversSharingRoomWith(ctx.db, userId), "m.presence", {
    push: [{ ...content, user_id: userId }],
  });
}
