import { requireAuth } from "../../http/auth.ts";
import type { RouteModule } from "../../http/types.ts";
import { authedMediaPaths, legacyMediaPaths } from "./paths.ts";

/** GET …/media/config: the upload limit. Both versions need an access token (the legacy one always did). */
export function mediaConfigRoutes(paths: (p: string) => string[]): RouteModule {
  return (app, ctx) => {
    app.on("GET", paths("/config"), requireAuth(ctx), (c) =>
      c.json({ "m.upload.size": ctx.config.media.max_upload_bytes }),
    );
  };
}

export const authedConfigRoutes = mediaConfigRoutes(authedMediaPaths);
export const legacyConfigRoutes = mediaConfigRoutes(legacyMediaPaths);
