import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { clientPaths } from "./paths.ts";

/**
 * `GET /voip/turnServer`: no TURN server is configured, and `{}` is how homeservers say so (clients
 * then fall back to their own STUN/TURN settings instead of treating it as an error).
 */
export const voipRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/voip/turnServer"), requireAuth(ctx), (c) => c.json({}));
};
