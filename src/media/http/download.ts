import type { Context } from "hono";
import { boolQuery } from "../../client-api/query-params.ts";
import type { HearthContext } from "../../context.ts";
import { requireAuth } from "../../http/auth.ts";
import type { HearthEnv, RouteModule } from "../../http/types.ts";
import { resolveMedia, type RemoteMediaFetcher } from "../download.ts";
import { mediaKeyParam, timeoutParam } from "./params.ts";
import { authedMediaPaths, legacyMediaPaths } from "./paths.ts";
import { serveContent } from "./serve.ts";

async function download(
  ctx: HearthContext,
  c: Context<HearthEnv>,
  legacy: boolean,
  fetchRemote?: RemoteMediaFetcher,
): Promise<Response> {
  const key = mediaKeyParam(c);
  const fileName = c.req.param("fileName") as string | undefined;
  const allowRemote = legacy ? (boolQuery(c, "allow_remote") ?? true) : true;
  const media = await resolveMedia(
    ctx,
    key,
    { timeoutMs: timeoutParam(c), legacy, allowRemote },
    fetchRemote,
  );
  return serveContent(ctx, c, {
    sha256: media.sha256,
    sizeBytes: media.sizeBytes,
    contentType: media.contentType,
    filename: fileName ?? media.uploadName,
    privateCache: !legacy,
  });
}

/** GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}] (access token required). */
export function authedDownloadRoutes(fetchRemote?: RemoteMediaFetcher): RouteModule {
  return (app, ctx) => {
    const paths = [
      ...authedMediaPaths("/download/:serverName/:mediaId"),
      ...authedMediaPaths("/download/:serverName/:mediaId/:fileName"),
    ];
    app.on("GET", paths, requireAuth(ctx), (c) => download(ctx, c, false, fetchRemote));
  };
}

/** The deprecated unauthenticated /_matrix/media/v3/download, for media created before the freeze. */
export function legacyDownloadRoutes(fetchRemote?: RemoteMediaFetcher): RouteModule {
  return (app, ctx) => {
    const paths = [
      ...legacyMediaPaths("/download/:serverName/:mediaId"),
      ...legacyMediaPaths("/download/:serverName/:mediaId/:fileName"),
    ];
    app.on("GET", paths, (c) => download(ctx, c, true, fetchRemote));
  };
}
