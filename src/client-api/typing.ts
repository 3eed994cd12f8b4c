import { badJson } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { federateTyping } from "../federation/sender/edu-fanout.ts";
import { readJsonObject } from "../http/body.ts";
import type { RouteModule } from "../http/types.ts";
import { requireJoined } from "../sync/receipts.ts";
import { DEFAULT_TYPING_TIMEOUT_MS } from "../sync/typing.ts";
import { requireSelf } from "./path-checks.ts";
import { clientPaths } from "./paths.ts";
import { roomIdParam, routeParam } from "./query-params.ts";

/** `PUT /rooms/{roomId}/typing/{userId}`: `{typing, timeout}`, for the caller in a room they are in. */
export const typingRoutes: RouteModule = (app, ctx) => {
  app.on("PUT", clientPaths("/rooms/:roomId/typing/:userId"), requireAuth(ctx), async (c) => {
    const roomId = roomIdParam(c);
    const { userId } = c.get("requester");
    requireSelf(c.get("requester"), routeParam(c, "userId"), "set typing notifications");
    const body = await readJsonObject(c);
    if (typeof body.typing !== "boolean") throw badJson("'typing' must be a boolean");
    const timeout = body.timeout ?? undefined;
    if (timeout !== undefined && (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0)) {
      throw badJson("'timeout' must be a non-negative number of milliseconds");
    }
    await requireJoined(ctx, roomId, userId);
    ctx.sync.typing.setTyping(roomId, userId, body.typing, timeout ?? DEFAULT_TYPING_TIMEOUT_MS);
    await federateTyping(ctx, roomId, userId, body.typing);
    return c.json({});
  });
};
