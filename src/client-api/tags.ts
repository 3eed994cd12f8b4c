import type { Context } from "hono";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { badJson, invalidParam } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { HearthEnv, RouteModule } from "../http/types.ts";
import { readAccountData, updateAccountData } from "../sync/account-data.ts";
import { requireRoomId, requireSelf } from "./path-checks.ts";
import { clientPaths } from "./paths.ts";
import { routeParam } from "./query-params.ts";

/** Tags live in room account data `m.tag` as `{tags: {name: {order?}}}` (spec "Room Tagging"). */
const TAG_TYPE = "m.tag";

function target(c: Context<HearthEnv>, verb: string): { userId: string; roomId: string } {
  requireSelf(c.get("requester"), routeParam(c, "userId"), `${verb} tags`);
  const roomId = routeParam(c, "roomId");
  requireRoomId(roomId);
  return { userId: c.get("requester").userId, roomId };
}

function tagsOf(content: JsonObject | undefined): JsonObject {
  return isJsonObject(content?.tags) ? content.tags : {};
}

function tagName(c: Context<HearthEnv>): string {
  const tag = routeParam(c, "tag");
  if (tag === "" || Buffer.byteLength(tag) > 255) throw invalidParam("A tag must be 1 to 255 bytes long.");
  return tag;
}

/** `GET /user/{userId}/rooms/{roomId}/tags`, `PUT/DELETE …/tags/{tag}`. */
export const tagRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/user/:userId/rooms/:roomId/tags"), requireAuth(ctx), async (c) => {
    const { userId, roomId } = target(c, "get");
    return c.json({ tags: tagsOf(await readAccountData(ctx, userId, roomId, TAG_TYPE)) });
  });

  app.on("PUT", clientPaths("/user/:userId/rooms/:roomId/tags/:tag"), requireAuth(ctx), async (c) => {
    const { userId, roomId } = target(c, "set");
    const tag = tagName(c);
    const info = await readJsonObject(c);
    if (info.order !== undefined && info.order !== null && typeof info.order !== "number") {
      throw badJson("'order' must be a number.");
    }
    await updateAccountData(ctx, userId, roomId, TAG_TYPE, (current) => ({
      ...current,
      tags: { ...tagsOf(current), [tag]: info },
    }));
    return c.json({});
  });

  app.on("DELETE", clientPaths("/user/:userId/rooms/:roomId/tags/:tag"), requireAuth(ctx), async (c) => {
    const { userId, roomId } = target(c, "delete");
    const tag = tagName(c);
    await updateAccountData(ctx, userId, roomId, TAG_TYPE, (current) => {
      const { [tag]: _removed, ...rest } = tagsOf(current);
      return { ...current, tags: rest };
    });
    return c.json({});
  });
};
