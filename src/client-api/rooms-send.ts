import type { Context } from "hono";
import { badJson, invalidParam, missingParam } from "../errors.ts";
import { enforce } from "../accounts/rate-limits.ts";
import type { HearthContext } from "../context.ts";
import { requireAuth, type Requester } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { sendRedaction } from "../rooms/redact.ts";
import { sendLocalEvent } from "../rooms/send-event.ts";
import { clientPaths } from "./paths.ts";
import { eventIdParam, roomIdParam, routeParam } from "./query-params.ts";
import { readContentBody, requestHash } from "./room-body.ts";
import { requireEventType } from "./room-params.ts";

/** Sending counts against `rate_limits.messages`; server admins are exempt (moderation, bridges). */
export function limitMessages(ctx: HearthContext, requester: Requester): void {
  if (!requester.isAdmin) enforce(ctx.rooms.messageLimiter.take(requester.userId));
}

function txnScope(requester: Requester, endpoint: string, c: Context) {
  return { userId: requester.userId, deviceId: requester.deviceId, endpoint, txnId: routeParam(c, "txnId") };
}

/** PUT /rooms/{roomId}/send/{eventType}/{txnId} and PUT /rooms/{roomId}/redact/{eventId}/{txnId}. */
export const roomSendRoutes: RouteModule = (app, ctx) => {
  app.on("PUT", clientPaths("/rooms/:roomId/send/:eventType/:txnId"), requireAuth(ctx), async (c) => {
    const requester = c.get("requester");
    const roomId = roomIdParam(c);
    const eventType = requireEventType(routeParam(c, "eventType"));
    const content = await readContentBody(c);
    // The transaction scope is the request path (spec: same device, same endpoint, same txn id).
    const txn = {
      scope: txnScope(requester, `send/${roomId}/${eventType}`, c),
      requestHash: requestHash(content),
    };
    limitMessages(ctx, requester);
    if (eventType === "m.room.redaction") {
      // v1.18: redactions through /send, with the target in content for every room version.
      const redacts = content.redacts;
      if (redacts === undefined) throw missingParam("m.room.redaction needs content.redacts");
      if (typeof redacts !== "string") throw badJson("content.redacts must be an event ID");
      if (!redacts.startsWith("$") || redacts.includes("\u0000")) {
        throw invalidParam("content.redacts must be an event ID");
      }
      const { eventId } = await sendRedaction(ctx, {
        roomId,
        sender: requester.userId,
        targetId: redacts,
        content,
        txn,
        senderIsAdmin: requester.isAdmin,
      });
      return c.json({ event_id: eventId });
    }
    const { eventId } = await sendLocalEvent(ctx, {
      roomId,
      sender: requester.userId,
      draft: { type: eventType, content },
      txn,
    });
    return c.json({ event_id: eventId });
  });

  app.on("PUT", clientPaths("/rooms/:roomId/redact/:eventId/:txnId"), requireAuth(ctx), async (c) => {
    const requester = c.get("requester");
    const roomId = roomIdParam(c);
    const targetId = eventIdParam(c);
    const content = await readContentBody(c);
    const txn = {
      scope: txnScope(requester, `redact/${roomId}/${targetId}`, c),
      requestHash: requestHash(content),
    };
    limitMessages(ctx, requester);
    const { eventId } = await sendRedaction(ctx, {
      roomId,
      sender: requester.userId,
      targetId,
      content,
      txn,
      senderIsAdmin: requester.isAdmin,
    });
    return c.json({ event_id: eventId });
  });
};
