import { isJsonObject } from "../core/json.ts";
import { badJson } from "../errors.ts";
import type { RouteModule } from "../http/types.ts";
import { intQuery } from "../client-api/query-params.ts";
import { listPublicRooms, type PublicRoomsQuery } from "../rooms/public-rooms.ts";
import { federationJson } from "./json-response.ts";
import { requireServerAuth } from "./request-auth.ts";

/** The most rooms one publicRooms page holds. */
const MAX_PUBLIC_ROOMS_LIMIT = 500;

/** This server's room directory for other servers (spec server-server §Public Room Directory). */
export const publicRoomsRoutes: RouteModule = (app, ctx) => {
  const auth = requireServerAuth(ctx);

  app.get("/_matrix/federation/v1/publicRooms", auth, async (c) => {
    const query: PublicRoomsQuery = {};
    if (c.req.query("limit")) {
      query.limit = intQuery(c, "limit", {
        default: MAX_PUBLIC_ROOMS_LIMIT,
        min: 0,
        max: MAX_PUBLIC_ROOMS_LIMIT,
      });
    }
    const since = c.req.query("since");
    if (since) query.since = since;
    return federationJson(c, await listPublicRooms(ctx, query));
  });

  app.post("/_matrix/federation/v1/publicRooms", auth, async (c) => {
    const body = c.var.federationContent;
    if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
    const query: PublicRoomsQuery = {};
    if (body.limit !== undefined && body.limit !== null) {
      if (typeof body.limit !== "number" || !Number.isInteger(body.limit) || body.limit < 0) {
        throw badJson("'limit' must be a non-negative integer");
      }
      query.limit = Math.min(body.limit, MAX_PUBLIC_ROOMS_LIMIT);
    }
    if (typeof body.since === "string" && body.since !== "") query.since = body.since;
    const filter = isJsonObject(body.filter) ? body.filter : {};
    if (typeof filter.generic_search_term === "string") query.searchTerm = filter.generic_search_term;
    if (Array.isArray(filter.room_types)) {
      query.roomTypes = filter.room_types.filter(
        (t): t is string | null => t === null || typeof t === "string",
      );
    }
    return federationJson(c, await listPublicRooms(ctx, query));
  });
};
