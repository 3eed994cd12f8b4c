import type { Sharp, SharpOptions } from "sharp";
import type { ThumbnailMethod } from "../storage/media/thumbnails.ts";

type SharpFn = (input: string | Buffer, options: SharpOptions) => Sharp;
let sharpModule: Promise<SharpFn> | undefined;

/**
 * sharp (libvips) is loaded on the first image, not at start: it adds ~27 MiB to a process that may
 * never see an upload.
 */
function loadSharp(): Promise<SharpFn> {
  sharpModule ??= import("sharp").then((m) => m.default);
  return sharpModule;
}

/** What the header of an image says, without decoding its pixels. */
export interface ImageInfo {
  /** As displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
  /** Frames (1 for still images). */
  pages: number;
  hasAlpha: boolean;
}

/** Reads dimensions from the header only; undefined when sharp cannot read the image at all. */
export async function probeImage(input: string | Buffer): Promise<ImageInfo | undefined> {
  try {
    const sharp = await loadSharp();
    const m = await sharp(input, { limitInputPixels: false }).metadata();
    if (m.width === undefined || m.height === undefined) return undefined;
    // Orientations 5-8 rotate by 90°, so the displayed width is the stored height.
    const turned = (m.orientation ?? 1) >= 5;
    const height = m.pageHeight ?? m.height;
    return {
      width: turned ? height : m.width,
      height: turned ? m.width : height,
      pages: m.pages ?? 1,
      hasAlpha: m.hasAlpha ?? false,
    };
  } catch {
    return undefined;
  }
}

export interface ThumbnailTarget {
  width: number;
  height: number;
  method: ThumbnailMethod;
  animated: boolean;
}

export interface RenderedThumbnail {
  bytes: Buffer;
  contentType: string;
}

export class ImageTooLargeError extends Error {}
export class UndecodableImageError extends Error {}

/**
 * One thumbnail: EXIF orientation applied, metadata stripped (sharp writes none unless asked), never
 * enlarged. `crop` fills width×height exactly (centre crop); `scale` fits inside it. Animated targets
 * keep every frame as WebP; otherwise PNG when the source has transparency, JPEG when it has none.
 */
export async function renderThumbnail(
  input: string | Buffer,
  target: ThumbnailTarget,
  maxPixels: number,
  hasAlpha: boolean,
): Promise<RenderedThumbnail> {
  const sharp = await loadSharp();
  try {
    const image = sharp(input, { limitInputPixels: maxPixels, animated: target.animated })
      .autoOrient()
      .resize(target.width, target.height, {
        fit: target.method === "crop" ? "cover" : "inside",
        withoutEnlargement: true,
      });
    if (target.animated)
      return { bytes: await image.webp({ quality: 80, effort: 2 }).toBuffer(), contentType: "image/webp" };
    if (hasAlpha)
      return { bytes: await image.png({ compressionLevel: 6 }).toBuffer(), contentType: "image/png" };
    return { bytes: await image.jpeg({ quality: 80 }).toBuffer(), contentType: "image/jpeg" };
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) throw new ImageTooLargeError(err.message);
    throw new UndecodableImageError(err instanceof Error ? err.message : String(err));
  }
}
