import type { Context } from "hono";
import type { JsonValue } from "../core/json.ts";
import { isJsonObject } from "../core/json.ts";
import { badJson, invalidParam, missingParam, notFound } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { RouteModule } from "../http/types.ts";
import { createAlias, listLocalAliases, removeAlias, resolveAnyAlias } from "../rooms/aliases.ts";
import {
  getRoomDirectoryVisibility,
  listPublicRooms,
  setRoomDirectoryVisibility,
  type PublicRoomsQuery,
} from "../rooms/public-rooms.ts";
import { clientPaths } from "./paths.ts";
import { containsNul, intQuery, roomIdParam, routeParam } from "./query-params.ts";

const MAX_PUBLIC_ROOMS_LIMIT = 500;

function requireLocalDirectory(c: Context, serverName: string): void {
  const server = c.req.query("server");
  // Other servers' directories need a federation client, which does not exist yet.
  if (server !== undefined && server !== "" && server !== serverName) {
    throw notFound(`The room directory of ${server} is not available from this server`);
  }
}

function optionalBodyInt(value: JsonValue | undefined, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw badJson(`'${name}' must be a non-negative integer`);
  }
  return value;
}

/** Room aliases, a room's directory visibility and the published room list. */
export const directoryRoutes: RouteModule = (app, ctx) => {
  const alias = clientPaths("/directory/room/:roomAlias");
  app.on("GET", alias, async (c) => c.json(await resolveAnyAlias(ctx, routeParam(c, "roomAlias"))));
  app.on("PUT", alias, requireAuth(ctx), async (c) => {
    const body = await readJsonObject(c);
    const roomId = body.room_id;
    if (roomId === undefined || roomId === null) throw missingParam("Missing 'room_id'");
    if (typeof roomId !== "string") throw badJson("'room_id' must be a string");
    if (!roomId.startsWith("!") || containsNul(roomId))
      throw invalidParam("'room_id' is not a valid room ID");
    await createAlias(ctx, c.get("requester"), routeParam(c, "roomAlias"), roomId);
    return c.json({});
  });
  app.on("DELETE", alias, requireAuth(ctx), async (c) => {
    await removeAlias(ctx, c.get("requester"), routeParam(c, "roomAlias"));
    return c.json({});
  });

  app.on("GET", clientPaths("/rooms/:roomId/aliases"), requireAuth(ctx), async (c) =>
    c.json(await listLocalAliases(ctx, c.get("requester"), roomIdParam(c))),
  );

  const listRoom = clientPaths("/directory/list/room/:roomId");
  app.on("GET", listRoom, async (c) => c.json(await getRoomDirectoryVisibility(ctx, roomIdParam(c))));
  app.on("PUT", listRoom, requireAuth(ctx), async (c) => {
    const roomId = roomIdParam(c);
    const body = await readJsonObject(c);
    const visibility = body.visibility ?? "public";
    if (visibility !== "public" && visibility !== "private") {
      throw invalidParam("'visibility' must be 'public' or 'private'");
    }
    await setRoomDirectoryVisibility(ctx, c.get("requester"), roomId, visibility);
    return c.json({});
  });

  app.on("GET", clientPaths("/publicRooms"), async (c) => {
    requireLocalDirectory(c, ctx.serverName);
    return c.json(
      await listPublicRooms(ctx, {
        limit: c.req.query("limit")
          ? intQuery(c, "limit", { default: MAX_PUBLIC_ROOMS_LIMIT, min: 0, max: MAX_PUBLIC_ROOMS_LIMIT })
          : undefined,
        since: c.req.query("since") || undefined,
      }),
    );
  });
  app.on("POST", clientPaths("/publicRooms"), requireAuth(ctx), async (c) => {
    requireLocalDirectory(c, ctx.serverName);
    const body = await readJsonObject(c);
    const query: PublicRoomsQuery = { limit: optionalBodyInt(body.limit, "limit") };
    if (body.since !== undefined && body.since !== null) {
      if (typeof body.since !== "string") throw badJson("'since' must be a string");
      if (body.since !== "") query.since = body.since;
    }
    const filter = body.filter;
    if (filter !== undefined && filter !== null) {
      if (!isJsonObject(filter)) throw badJson("'filter' must be an object");
      const term = filter.generic_search_term;
      if (term !== undefined && term !== null) {
        if (typeof term !== "string") throw badJson("'filter.generic_search_term' must be a string");
        query.searchTerm = term;
      }
      const types = filter.room_types;
      if (types !== undefined && types !== null) {
        if (!Array.isArray(types) || !types.every((t) => t === null || typeof t === "string")) {
          throw badJson("'filter.room_types' must be an array of strings or nulls");
        }
        query.roomTypes = types as (string | null)[];
      }
    }
    return c.json(await listPublicRooms(ctx, query));
  });
};
