import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { Context } from "hono";
import { routeParam } from "../../client-api/query-params.ts";
import type { HearthContext } from "../../context.ts";
import { MatrixError } from "../../errors.ts";
import { requireServerAuth } from "../../federation/request-auth.ts";
import type { HearthEnv, RouteModule } from "../../http/types.ts";
import { contentDisposition } from "../content-headers.ts";
import { resolveMedia } from "../download.ts";
import { mediaKeyOf } from "../media-id.ts";
import { multipartFrame } from "../multipart.ts";
import { thumbnailFor } from "../thumbnails.ts";
import { thumbnailParams, timeoutParam } from "./params.ts";

interface Served {
  sha256: string;
  contentType: string;
  disposition: string;
}

/** multipart/mixed: `{}` metadata, then the bytes streamed from the store (never buffered whole). */
async function multipartResponse(ctx: HearthContext, served: Served): Promise<Response> {
  const boundary = randomBytes(16).toString("hex");
  const { head, tail } = multipartFrame(boundary, "{}", {
    "Content-Type": served.contentType,
    "Content-Disposition": served.disposition,
  });
  let file: Readable;
  try {
    file = await ctx.media.store.read(served.sha256);
  } catch {
    throw new MatrixError(404, "M_NOT_FOUND", "Media not found");
  }
  const body = Readable.from(
    (async function* () {
      yield head;
      for await (const chunk of file) yield chunk as Buffer;
      yield tail;
    })(),
  );
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
    status: 200,
    headers: { "Content-Type": `multipart/mixed; boundary=${boundary}` },
  });
}

/** Only our own media is served to other servers; cached remote media is theirs to serve. */
async function localMedia(ctx: HearthContext, c: Context<HearthEnv>) {
  const key = mediaKeyOf(ctx.serverName, routeParam(c, "mediaId"));
  return resolveMedia(ctx, key, { timeoutMs: timeoutParam(c), legacy: false, allowRemote: false });
}

/** GET /_matrix/federation/v1/media/download|thumbnail/{mediaId} (spec v1.11), X-Matrix authenticated. */
export const federationMediaRoutes: RouteModule = (app, ctx) => {
  app.get("/_matrix/federation/v1/media/download/:mediaId", requireServerAuth(ctx), async (c) => {
    const media = await localMedia(ctx, c);
    return multipartResponse(ctx, {
      sha256: media.sha256,
      contentType: media.contentType,
      disposition: contentDisposition(media.contentType, media.uploadName),
    });
  });

  app.get("/_matrix/federation/v1/media/thumbnail/:mediaId", requireServerAuth(ctx), async (c) => {
    const params = thumbnailParams(c);
    const thumb = await thumbnailFor(ctx, await localMedia(ctx, c), params);
    return multipartResponse(ctx, {
      sha256: thumb.sha256,
      contentType: thumb.contentType,
      disposition: "inline",
    });
  });
};
