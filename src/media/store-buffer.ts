import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import type { HearthContext } from "../context.ts";
import { insertMedia, type MediaKey, type StoredContent } from "../storage/media/media.ts";
import { probeImage } from "./thumbnailer.ts";
import { isThumbnailableImage } from "./thumbnails.ts";

/**
 * Stores bytes already in memory (a remote server's answer, a previewed image) under `key`: into the
 * store by hash, dimensions read for images, then the row. Returns what was stored.
 */
export async function storeBuffer(
  ctx: HearthContext,
  key: MediaKey,
  uploader: string | null,
  bytes: Buffer,
  contentType: string,
  uploadName: string | null,
): Promise<StoredContent> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const temp = ctx.media.store.tempPath();
  let width: number | null = null;
  let height: number | null = null;
  try {
    await writeFile(temp, bytes);
    if (isThumbnailableImage(contentType)) {
      const info = await probeImage(temp);
      width = info?.width ?? null;
      height = info?.height ?? null;
    }
    await ctx.media.store.put(temp, sha256);
  } finally {
    await rm(temp, { force: true });
  }
  const content: StoredContent = {
    contentType,
    uploadName,
    sizeBytes: bytes.length,
    sha256,
    width,
    height,
    durationMs: null,
  };
  await insertMedia(ctx.db, key, uploader, content, ctx.clock());
  return content;
}
