import type { Context } from "hono";
import { boolQuery, intQuery, routeParam } from "../../client-api/query-params.ts";
import { invalidParam, missingParam } from "../../errors.ts";
import type { MediaKey } from "../../storage/media/media.ts";
import { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS } from "../download.ts";
import { mediaKeyOf } from "../media-id.ts";
import type { ThumbnailTarget } from "../thumbnailer.ts";

export function mediaKeyParam(c: Context): MediaKey {
  return mediaKeyOf(routeParam(c, "serverName"), routeParam(c, "mediaId"));
}

export function timeoutParam(c: Context): number {
  return intQuery(c, "timeout_ms", { default: DEFAULT_TIMEOUT_MS, min: 0, max: MAX_TIMEOUT_MS });
}

const DIMENSION = /^[0-9]{1,9}$/;

function dimension(c: Context, name: "width" | "height"): number {
  const text = c.req.query(name);
  if (text === undefined || text === "") throw missingParam(`'${name}' is required`);
  if (!DIMENSION.test(text)) throw invalidParam(`'${name}' must be a positive integer`);
  const n = Number(text);
  if (n < 1) throw invalidParam(`'${name}' must be a positive integer`);
  return n;
}

/** width, height (required, positive), method (crop|scale, default scale), animated (default false). */
export function thumbnailParams(c: Context): ThumbnailTarget {
  const width = dimension(c, "width");
  const height = dimension(c, "height");
  const method = c.req.query("method") ?? "scale";
  if (method !== "crop" && method !== "scale") throw invalidParam("'method' must be 'crop' or 'scale'");
  return { width, height, method, animated: boolQuery(c, "animated") ?? false };
}
