import type { Context } from "hono";
import { boolQuery } from "../../client-api/query-params.ts";
import type { HearthContext } from "../../context.ts";
import { requireAuth } from "../../http/auth.ts";
import type { HearthEnv, RouteModule } from "../../http/types.ts";
import { resolveMedia, type RemoteMediaFetcher } from "../download.ts";
import { thumbnailFor } from "../thumbnails.ts";
import { mediaKeyParam, thumbnailParams, timeoutParam } from "./params.ts";
import { authedMediaPaths, legacyMediaPaths } from "./paths.ts";
import { serveContent } from "./serve.ts";

const EXTENSIONS: Record<string, string> = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp" };

async function thumbnail(
  ctx: HearthContext,
  c: Context<HearthEnv>,
  legacy: boolean,
  fetchRemote?: RemoteMediaFetcher,
): Promise<Response> {
  const key = mediaKeyParam(c);
  const params = thumbnailParams(c);
  const allowRemote = legacy ? (boolQuery(c, "allow_remote") ?? true) : true;
  const media = await resolveMedia(
    ctx,
    key,
    { timeoutMs: timeoutParam(c), legacy, allowRemote },
    fetchRemote,
  );
  const thumb = await thumbnailFor(ctx, media, params);
  return serveContent(ctx, c, {
    sha256: thumb.sha256,
    sizeBytes: thumb.sizeBytes,
    contentType: thumb.contentType,
    filename: `thumbnail.${EXTENSIONS[thumb.contentType] ?? "bin"}`,
    forceInline: true,
    privateCache: !legacy,
  });
}

/** GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId} (access token required). */
export function authedThumbnailRoutes(fetchRemote?: RemoteMediaFetcher): RouteModule {
  return (app, ctx) => {
    app.on("GET", authedMediaPaths("/thumbnail/:serverName/:mediaId"), requireAuth(ctx), (c) =>
      thumbnail(ctx, c, false, fetchRemote),
    );
  };
}

/** The deprecated unauthenticated /_matrix/media/v3/thumbnail, for media created before the freeze. */
export function legacyThumbnailRoutes(fetchRemote?: RemoteMediaFetcher): RouteModule {
  return (app, ctx) => {
    app.on("GET", legacyMediaPaths("/thumbnail/:serverName/:mediaId"), (c) =>
      thumbnail(ctx, c, true, fetchRemote),
    );
  };
}
