import type { Context } from "hono";
import { badJson, invalidParam } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { HearthEnv, RouteModule } from "../http/types.ts";
import {
  deleteProfile,
  readFullProfile,
  readProfileField,
  propagateMemberProfile,
  setProfile,
} from "../profiles/profile.ts";
import { clientPaths } from "./paths.ts";
import { containsNul, routeParam } from "./query-params.ts";

function userIdParam(c: Context<HearthEnv>): string {
  const userId = routeParam(c, "userId");
  if (!userId.startsWith("@") || !userId.includes(":")) throw invalidParam("'userId' is not a valid user ID");
  return userId;
}

/** GET /profile/{userId} and the per-field GET/PUT/DELETE, including extended profile fields. */
export const profileRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/profile/:userId"), async (c) =>
    c.json(await readFullProfile(ctx, userIdParam(c))),
  );

  const field = clientPaths("/profile/:userId/:keyName");
  app.on("GET", field, async (c) =>
    c.json(await readProfileField(ctx, userIdParam(c), routeParam(c, "keyName"))),
  );
  app.on("PUT", field, requireAuth(ctx), async (c) => {
    const userId = userIdParam(c);
    const body = await readJsonObject(c);
    if (containsNul(body)) throw badJson("Profile values must not contain NUL");
    if (await setProfile(ctx, c.get("requester"), userId, routeParam(c, "keyName"), body))
      await propagateMemberProfile(ctx, userId);
    return c.json({});
  });
  app.on("DELETE", field, requireAuth(ctx), async (c) => {
    const userId = userIdParam(c);
    if (await deleteProfile(ctx, c.get("requester"), userId, routeParam(c, "keyName")))
      await propagateMemberProfile(ctx, userId);
    return c.json({});
  });
};
