import type { HearthContext } from "../../context.ts";
import { sniffType } from "../sniff.ts";
import type { JsonObject } from "../../core/json.ts";
import { invalidParam, MatrixError, unrecognized } from "../../errors.ts";
import { essence } from "../content-headers.ts";
import { mxcUri, newMediaId } from "../media-id.ts";
import { storeBuffer } from "../store-buffer.ts";
import { fetchLimited } from "./fetch.ts";
import { parseOpenGraph } from "./opengraph.ts";

const MAX_URL_LENGTH = 2048;
const CACHE_MS = 60 * 60 * 1000;
const MAX_CACHED = 1000;

function checkUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw invalidParam("'url' is too long");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidParam("'url' is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw invalidParam("Only http and https URLs can be previewed");
  if (url.username !== "" || url.password !== "")
    throw invalidParam("URLs with credentials are not previewed");
  url.hash = "";
  return url;
}

/** Keeps a fetched image as local media; undefined unless the bytes really are a complete image. */
async function storeImage(
  ctx: HearthContext,
  bytes: Buffer,
  truncated: boolean,
): Promise<JsonObject | undefined> {
  if (truncated || bytes.length === 0) return undefined;
  const sniffed = (await sniffType(bytes))?.mime;
  if (sniffed === undefined || !sniffed.startsWith("image/")) return undefined;
  const key = { serverName: ctx.serverName, mediaId: newMediaId() };
  const stored = await storeBuffer(ctx, key, null, bytes, sniffed, null);
  const og: JsonObject = {
    "og:image": mxcUri(key),
    "og:image:type": sniffed,
    "matrix:image:size": stored.sizeBytes,
  };
  if (stored.width !== null && stored.height !== null) {
    og["og:image:width"] = stored.width;
    og["og:image:height"] = stored.height;
  }
  return og;
}

async function buildPreview(ctx: HearthContext, url: URL): Promise<JsonObject> {
  const cfg = ctx.config.media.url_preview;
  const limits = { maxBytes: cfg.max_bytes, timeoutMs: cfg.timeout_ms };
  const page = await fetchLimited(ctx.media.previewDispatcher(), url.toString(), limits);
  if (page.status !== 200) throw new MatrixError(502, "M_UNKNOWN", `The URL answered ${page.status}`);
  const type = essence(page.contentType);
  if (type.startsWith("image/")) return (await storeImage(ctx, page.bytes, page.truncated)) ?? {};
  if (type !== "text/html" && type !== "application/xhtml+xml") return {};
  // A cut page still has its <head>, where OpenGraph lives.
  const og: JsonObject = parseOpenGraph(page.bytes.toString("utf8"));
  const imageUrl = og["og:image"];
  delete og["og:image"];
  if (typeof imageUrl === "string" && imageUrl !== "") {
    try {
      const image = await fetchLimited(
        ctx.media.previewDispatcher(),
        new URL(imageUrl, page.url).toString(),
        limits,
      );
      if (image.status === 200) Object.assign(og, await storeImage(ctx, image.bytes, image.truncated));
    } catch (err) {
      // A preview without its picture is still a preview.
      ctx.log.debug({ err, component: "media" }, "preview image fetch failed");
    }
  }
  return og;
}

/** GET …/preview_url: OpenGraph of a page (its image stored as local media), cached for an hour. */
export async function previewUrl(ctx: HearthContext, rawUrl: string | undefined): Promise<JsonObject> {
  if (!ctx.config.media.url_preview.enabled) throw unrecognized("URL previews are disabled on this server");
  if (rawUrl === undefined || rawUrl === "")
    throw new MatrixError(400, "M_MISSING_PARAM", "'url' is required");
  const url = checkUrl(rawUrl);
  const key = url.toString();
  const now = ctx.clock();
  const cached = ctx.media.previews.get(key);
  if (cached && cached.expiresTs > now) return cached.value;
  const value = await ctx.media.once(`preview|${key}`, () => buildPreview(ctx, url));
  if (ctx.media.previews.size >= MAX_CACHED) {
    const oldest = ctx.media.previews.keys().next().value;
    if (oldest !== undefined) ctx.media.previews.delete(oldest);
  }
  ctx.media.previews.set(key, { expiresTs: now + CACHE_MS, value });
  return value;
}
