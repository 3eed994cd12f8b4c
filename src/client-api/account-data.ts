import type { Context } from "hono";
import { MatrixError, notFound } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { HearthEnv, RouteModule } from "../http/types.ts";
import { readAccountData, SERVER_MANAGED_ACCOUNT_DATA, setAccountData } from "../sync/account-data.ts";
import { requireRoomId, requireSelf } from "./path-checks.ts";
import { clientPaths } from "./paths.ts";
import { routeParam } from "./query-params.ts";

/** The user and (for room account data) room a request targets, checked. */
function target(c: Context<HearthEnv>, verb: string): { userId: string; roomId: string | undefined } {
  requireSelf(c.get("requester"), routeParam(c, "userId"), `${verb} account data`);
  // Absent on the global path.
  const roomId =
    (c.req.param("roomId") as string | undefined) === undefined ? undefined : routeParam(c, "roomId");
  if (roomId !== undefined) requireRoomId(roomId);
  return { userId: c.get("requester").userId, roomId };
}

/** Global and per-room account data: `PUT/GET /user/{userId}[/rooms/{roomId}]/account_data/{type}`. */
export const accountDataRoutes: RouteModule = (app, ctx) => {
  const paths = [
    ...clientPaths("/user/:userId/account_data/:type"),
    ...clientPaths("/user/:userId/rooms/:roomId/account_data/:type"),
  ];

  app.on("PUT", paths, requireAuth(ctx), async (c) => {
    const { userId, roomId } = target(c, "set");
    const type = routeParam(c, "type");
    if (SERVER_MANAGED_ACCOUNT_DATA.has(type)) {
      throw new MatrixError(405, "M_BAD_JSON", `Cannot set ${type} through this API.`);
    }
    const content = await readJsonObject(c);
    await setAccountData(ctx, userId, roomId, type, content);
    return c.json({});
  });

  app.on("GET", paths, requireAuth(ctx), async (c) => {
    const { userId, roomId } = target(c, "get");
    const content = await readAccountData(ctx, userId, roomId, routeParam(c, "type"));
    if (!content)
      throw notFound(roomId === undefined ? "Account data not found." : "Room account data not found.");
    return c.json(content);
  });
};
