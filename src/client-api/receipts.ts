import { badJson, invalidParam } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { RouteModule } from "../http/types.ts";
import { parseThreadId, RECEIPT_TYPES, setReadMarkers, type ReadMarkers } from "../sync/receipts.ts";
import { clientPaths } from "./paths.ts";
import { eventIdParam, roomIdParam, routeParam } from "./query-params.ts";

/** `POST /rooms/{roomId}/receipt/{receiptType}/{eventId}` and `POST /rooms/{roomId}/read_markers`. */
export const receiptRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/rooms/:roomId/receipt/:receiptType/:eventId"), requireAuth(ctx), async (c) => {
    const roomId = roomIdParam(c);
    const receiptType = routeParam(c, "receiptType");
    const eventId = eventIdParam(c);
    if (!RECEIPT_TYPES.has(receiptType)) throw invalidParam(`Unknown receipt type ${receiptType}`);
    // The body is required by the spec, but older clients post nothing.
    const body = await readJsonObject(c, { allowEmpty: true });
    const threadId = parseThreadId(body.thread_id);
    if (threadId !== undefined && receiptType === "m.fully_read") {
      throw invalidParam("thread_id is not allowed for m.fully_read");
    }
    const markers: ReadMarkers =
      receiptType === "m.fully_read"
        ? { fullyRead: eventId }
        : receiptType === "m.read"
          ? { read: eventId, threadId }
          : { readPrivate: eventId, threadId };
    await setReadMarkers(ctx, c.get("requester").userId, roomId, markers);
    return c.json({});
  });

  app.on("POST", clientPaths("/rooms/:roomId/read_markers"), requireAuth(ctx), async (c) => {
    const roomId = roomIdParam(c);
    const body = await readJsonObject(c);
    const markers: ReadMarkers = {};
    for (const [key, field] of [
      ["m.fully_read", "fullyRead"],
      ["m.read", "read"],
      ["m.read.private", "readPrivate"],
    ] as const) {
      const value = body[key];
      if (value === undefined || value === null) continue;
      if (typeof value !== "string") throw badJson(`'${key}' must be an event ID string`);
      if (!value.startsWith("$") || value.includes("\u0000"))
        throw invalidParam(`'${key}' is not a valid event ID`);
      markers[field] = value;
    }
    await setReadMarkers(ctx, c.get("requester").userId, roomId, markers);
    return c.json({});
  });
};
