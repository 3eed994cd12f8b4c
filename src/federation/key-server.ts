import type { RouteModule } from "../http/types.ts";
import { serverKeyResponse } from "../keys/server-key-response.ts";

/** `GET /_matrix/key/v2/server`: unauthenticated, as other servers fetch it to check our signatures. */
export const keyServerRoutes: RouteModule = (app, ctx) => {
  app.get("/_matrix/key/v2/server", (c) => c.json(serverKeyResponse(ctx.serverName, ctx.keys, ctx.clock())));
};
