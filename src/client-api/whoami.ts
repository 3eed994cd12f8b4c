import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { clientPaths } from "./paths.ts";

/** `GET /account/whoami`: who this access token acts as. */
export const whoamiRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/account/whoami"), requireAuth(ctx), (c) => {
    const { userId, deviceId, isGuest } = c.get("requester");
    return c.json({ user_id: userId, device_id: deviceId, is_guest: isGuest });
  });
};
