import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { clientPaths } from "./paths.ts";

/**
 * `GET /account/3pid` (spec: "Adding Account Administrative Contact Information"). Hearth keeps no
 * third-party identifiers (the m.3pid_changes capability says so), so the list is always empty.
 */
export const threepidRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/account/3pid"), requireAuth(ctx), (c) => c.json({ threepids: [] }));
};
