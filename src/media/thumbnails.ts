import { createHash } from "node:crypto";
import type { HearthContext } from "../context.ts";
import { MatrixError, tooLarge } from "../errors.ts";
import type { MediaRecord } from "../storage/media/media.ts";
import { insertThumbnail, listThumbnails, type ThumbnailRecord } from "../storage/media/thumbnails.ts";
import { essence } from "./content-headers.ts";
import { posterFrame } from "./ffmpeg.ts";
import {
  ImageTooLargeError,
  probeImage,
  renderThumbnail,
  UndecodableImageError,
  type ThumbnailTarget,
} from "./thumbnailer.ts";

/** Made at upload for every still image: the sizes clients ask for most (Synapse's defaults). */
export const PREGENERATED: readonly ThumbnailTarget[] = [
  { width: 32, height: 32, method: "crop", animated: false },
  { width: 96, height: 96, method: "crop", animated: false },
  { width: 320, height: 240, method: "scale", animated: false },
  { width: 640, height: 480, method: "scale", animated: false },
  { width: 800, height: 600, method: "scale", animated: false },
];

/** On-demand thumbnails are capped here: bigger asks get this size (the spec lets servers choose). */
export const MAX_THUMBNAIL_DIMENSION = 1600;

/** Raster formats sharp decodes safely. SVG is left out: rendering it runs librsvg on untrusted XML. */
const THUMBNAILABLE_IMAGES = new Set([
  "image/jpeg",
  "image/png",
  "image/apng",
  "image/gif",
  "image/webp",
  "image/avif",
  "image/tiff",
]);

const ANIMATABLE = new Set(["image/gif", "image/webp", "image/apng", "image/png"]);

export function isThumbnailableImage(contentType: string): boolean {
  return THUMBNAILABLE_IMAGES.has(essence(contentType));
}

const cannotThumbnail = (): MatrixError =>
  new MatrixError(400, "M_UNKNOWN", "Cannot generate thumbnails for the requested content");

/** The stored size that answers a request: the smallest pre-generated one that is big enough, else the ask. */
export function chooseTarget(req: ThumbnailTarget): ThumbnailTarget {
  if (!req.animated) {
    const fits = PREGENERATED.filter(
      (t) => t.method === req.method && t.width >= req.width && t.height >= req.height,
    );
    const best = fits.sort((a, b) => a.width * a.height - b.width * b.height)[0];
    if (best) return best;
  }
  return {
    ...req,
    width: Math.min(req.width, MAX_THUMBNAIL_DIMENSION),
    height: Math.min(req.height, MAX_THUMBNAIL_DIMENSION),
  };
}

type Source = { kind: "image"; hasAlpha: boolean; animated: boolean } | { kind: "video"; ffmpeg: string };

async function sourceOf(ctx: HearthContext, media: MediaRecord, wantAnimated: boolean): Promise<Source> {
  const type = media.contentType ?? "";
  if (isThumbnailableImage(type)) {
    if (media.width === null || media.height === null) throw cannotThumbnail();
    if (media.width * media.height > ctx.config.media.max_image_pixels) {
      throw tooLarge("Content is too large to thumbnail");
    }
    const info = await probeImage(await ctx.media.store.localPath(media.sha256 ?? ""));
    if (!info) throw cannotThumbnail();
    const animated = wantAnimated && ANIMATABLE.has(essence(type)) && info.pages > 1;
    return { kind: "image", hasAlpha: info.hasAlpha, animated };
  }
  if (essence(type).startsWith("video/") && ctx.media.ffmpegPath !== undefined) {
    return { kind: "video", ffmpeg: ctx.media.ffmpegPath };
  }
  throw cannotThumbnail();
}

async function generate(
  ctx: HearthContext,
  media: MediaRecord,
  source: Source,
  target: ThumbnailTarget,
): Promise<ThumbnailRecord> {
  const file = await ctx.media.store.localPath(media.sha256 ?? "");
  const maxPixels = ctx.config.media.max_image_pixels;
  let rendered;
  try {
    rendered =
      source.kind === "image"
        ? await renderThumbnail(file, target, maxPixels, source.hasAlpha)
        : await renderThumbnail(await posterFrame(source.ffmpeg, file), target, maxPixels, false);
  } catch (err) {
    if (err instanceof ImageTooLargeError) throw tooLarge("Content is too large to thumbnail");
    if (err instanceof UndecodableImageError) throw cannotThumbnail();
    ctx.log.warn({ err, component: "media" }, "thumbnail generation failed");
    throw cannotThumbnail();
  }
  const sha256 = createHash("sha256").update(rendered.bytes).digest("hex");
  await ctx.media.store.putBytes(rendered.bytes, sha256);
  const record: ThumbnailRecord = {
    ...target,
    contentType: rendered.contentType,
    sizeBytes: rendered.bytes.length,
    sha256,
  };
  await insertThumbnail(ctx.db, media, record, ctx.clock());
  return record;
}

/** The thumbnail for a request: a stored one when it exists, else generated once and kept. */
export async function thumbnailFor(
  ctx: HearthContext,
  media: MediaRecord,
  req: ThumbnailTarget,
): Promise<ThumbnailRecord> {
  const source = await sourceOf(ctx, media, req.animated);
  const target = chooseTarget({ ...req, animated: source.kind === "image" && source.animated });
  const matches = (t: ThumbnailRecord): boolean =>
    t.width === target.width &&
    t.height === target.height &&
    t.method === target.method &&
    t.animated === target.animated;
  const stored = (await listThumbnails(ctx.db, media)).find(matches);
  if (stored && (await ctx.media.store.has(stored.sha256))) return stored;
  const key = `thumb|${media.serverName}|${media.mediaId}|${target.width}x${target.height}|${target.method}|${target.animated}`;
  return ctx.media.once(key, () => generate(ctx, media, source, target));
}

/** At upload: the common sizes of a still image, one after another so uploads do not hog every core. */
export async function pregenerateThumbnails(ctx: HearthContext, media: MediaRecord): Promise<void> {
  for (const target of PREGENERATED) await thumbnailFor(ctx, media, target);
}
