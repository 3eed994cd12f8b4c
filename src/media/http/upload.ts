import type { Context } from "hono";
import { routeParam } from "../../client-api/query-params.ts";
import { requireAuth } from "../../http/auth.ts";
import type { HearthEnv, RouteModule } from "../../http/types.ts";
import { mediaKeyOf } from "../media-id.ts";
import { createPendingUpload, uploadMedia, uploadToPending, type UploadRequest } from "../upload.ts";
import { legacyMediaPaths } from "./paths.ts";

function uploadRequest(c: Context<HearthEnv>): UploadRequest {
  return {
    body: c.req.raw.body,
    contentLength: c.req.header("content-length"),
    contentType: c.req.header("content-type"),
    filename: c.req.query("filename"),
  };
}

/** Uploads stay under /_matrix/media/v3 even with authenticated media (spec v1.11). */
export const uploadRoutes: RouteModule = (app, ctx) => {
  app.on("POST", legacyMediaPaths("/upload"), requireAuth(ctx), async (c) =>
    c.json({ content_uri: await uploadMedia(ctx, c.get("requester"), uploadRequest(c)) }),
  );

  app.on("POST", ["/_matrix/media/v1/create"], requireAuth(ctx), async (c) => {
    const { contentUri, expiresTs } = await createPendingUpload(ctx, c.get("requester"));
    return c.json({ content_uri: contentUri, unused_expires_at: expiresTs });
  });

  app.on("PUT", legacyMediaPaths("/upload/:serverName/:mediaId"), requireAuth(ctx), async (c) => {
    const key = mediaKeyOf(routeParam(c, "serverName"), routeParam(c, "mediaId"));
    await uploadToPending(ctx, c.get("requester"), key, uploadRequest(c));
    return c.json({});
  });
};
