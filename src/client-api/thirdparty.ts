import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { clientPaths } from "./paths.ts";

/** `GET /thirdparty/protocols`: no application service bridges protocols yet, so there are none. */
export const thirdPartyRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/thirdparty/protocols"), requireAuth(ctx), (c) => c.json({}));
};
