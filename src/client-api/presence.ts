import { badJson, forbidden, invalidParam, notFound } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { RouteModule } from "../http/types.ts";
import { findUser } from "../storage/accounts/users.ts";
import { getPresence } from "../storage/sync/presence.ts";
import { shareARoom } from "../storage/sync/shared-rooms.ts";
import { PRESENCE_STATES, presenceContent, setPresence, type PresenceState } from "../sync/presence.ts";
import { requireSelf } from "./path-checks.ts";
import { clientPaths } from "./paths.ts";
import { routeParam } from "./query-params.ts";

/** `GET/PUT /presence/{userId}/status`. */
export const presenceRoutes: RouteModule = (app, ctx) => {
  app.on("PUT", clientPaths("/presence/:userId/status"), requireAuth(ctx), async (c) => {
    requireSelf(c.get("requester"), routeParam(c, "userId"), "set presence");
    const body = await readJsonObject(c);
    if (typeof body.presence !== "string") throw badJson("'presence' must be a string");
    if (!PRESENCE_STATES.has(body.presence)) {
      throw invalidParam("'presence' must be one of online, unavailable, offline");
    }
    const statusMsg = body.status_msg ?? undefined;
    // PostgreSQL text cannot hold NUL.
    if (statusMsg !== undefined && (typeof statusMsg !== "string" || statusMsg.includes("\u0000"))) {
      throw badJson("'status_msg' must be a string without NUL characters");
    }
    await setPresence(ctx, c.get("requester").userId, body.presence as PresenceState, statusMsg);
    return c.json({});
  });

  app.on("GET", clientPaths("/presence/:userId/status"), requireAuth(ctx), async (c) => {
    const target = routeParam(c, "userId");
    const me = c.get("requester").userId;
    const row = await getPresence(ctx.db, target);
    if (!row && !(await findUser(ctx.db, target))) throw notFound("No presence for this user.");
    // Presence is published to users who share a room (spec "Security considerations").
    if (target !== me && !(await shareARoom(ctx.db, me, target))) {
      throw forbidden("You are not allowed to see their presence.");
    }
    return c.json(presenceContent(row, ctx.clock()));
  });
};
