import { requireAuth } from "../../http/auth.ts";
import type { RouteModule } from "../../http/types.ts";
import { previewUrl } from "../preview/preview.ts";
import { authedMediaPaths, legacyMediaPaths } from "./paths.ts";

/** GET …/media/preview_url?url= (both versions need an access token; off unless media.url_preview.enabled). */
function previewRoutes(paths: (p: string) => string[]): RouteModule {
  return (app, ctx) => {
    app.on("GET", paths("/preview_url"), requireAuth(ctx), async (c) =>
      c.json(await previewUrl(ctx, c.req.query("url"))),
    );
  };
}

export const authedPreviewRoutes = previewRoutes(authedMediaPaths);
export const legacyPreviewRoutes = previewRoutes(legacyMediaPaths);
