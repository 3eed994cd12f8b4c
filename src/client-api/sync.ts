import { requireAuth } from "../http/auth.ts";
import { clientGoneSignal } from "../http/client-gone.ts";
import type { RouteModule } from "../http/types.ts";
import { handleSync } from "../sync/long-poll.ts";
import { parseSyncRequest } from "../sync/sync-request.ts";
import { clientPaths } from "./paths.ts";

/** `GET /sync`; the client closing the connection ends a long-poll when the client disconnects. */
export const syncRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/sync"), requireAuth(ctx), async (c) => {
    const requester = c.get("requester");
    const req = await parseSyncRequest(ctx, requester, c.req.query());
    return c.json(await handleSync(ctx, req, clientGoneSignal(c)));
  });
};
