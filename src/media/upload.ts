import { rm } from "node:fs/promises";
import { sniffType } from "./sniff.ts";
import type { HearthContext } from "../context.ts";
import { forbidden, invalidParam, limitExceeded, MatrixError, notFound } from "../errors.ts";
import type { Requester } from "../http/auth.ts";
import {
  completePendingUpload,
  countPendingUploads,
  deleteExpiredPending,
  getMedia,
  insertMedia,
  insertPendingMedia,
  isContentReferenced,
  type MediaKey,
  type StoredContent,
} from "../storage/media/media.ts";
import { decideContentType, hasControlChars, parseDeclaredType } from "./content-type.ts";
import { mxcUri, newMediaId } from "./media-id.ts";
import { receiveToTempFile, type ReceivedFile } from "./receive.ts";
import { probeImage } from "./thumbnailer.ts";
import { isThumbnailableImage, pregenerateThumbnails } from "./thumbnails.ts";

/** An upload request as the HTTP layer hands it over; the body is read here, as a stream. */
export interface UploadRequest {
  body: ReadableStream<Uint8Array> | null;
  contentLength: string | undefined;
  contentType: string | undefined;
  filename: string | undefined;
}

function checkFilename(filename: string | undefined): string | null {
  if (filename === undefined || filename === "") return null;
  if (Buffer.byteLength(filename) > 255 || hasControlChars(filename)) {
    throw invalidParam("'filename' must be at most 255 bytes without control characters");
  }
  return filename;
}

async function analyse(
  ctx: HearthContext,
  file: ReceivedFile,
  declared: string | undefined,
  uploadName: string | null,
): Promise<StoredContent> {
  const sniffed = (await sniffType(file.head))?.mime;
  const contentType = decideContentType(declared, sniffed);
  let width: number | null = null;
  let height: number | null = null;
  if (isThumbnailableImage(contentType)) {
    // A corrupt image is still stored (clients may want the bytes); it simply gets no thumbnails.
    const info = await probeImage(file.tempFile);
    width = info?.width ?? null;
    height = info?.height ?? null;
  }
  return {
    contentType,
    uploadName,
    sizeBytes: file.size,
    sha256: file.sha256,
    width,
    height,
    durationMs: null,
  };
}

/** Streams, checks and stores the bytes; nothing remains of a failed upload. */
async function storeBytes(ctx: HearthContext, req: UploadRequest): Promise<StoredContent> {
  const uploadName = checkFilename(req.filename);
  const declared = parseDeclaredType(req.contentType);
  const file = await receiveToTempFile(
    ctx.media.store,
    req.body,
    req.contentLength,
    ctx.config.media.max_upload_bytes,
  );
  try {
    const content = await analyse(ctx, file, declared, uploadName);
    await ctx.media.store.put(file.tempFile, file.sha256);
    return content;
  } finally {
    await rm(file.tempFile, { force: true });
  }
}

/** Removes bytes a failed insert left behind, unless another upload shares them. */
async function dropIfUnreferenced(ctx: HearthContext, sha256: string): Promise<void> {
  if (!(await isContentReferenced(ctx.db, sha256))) await ctx.media.store.delete(sha256);
}

function afterStored(ctx: HearthContext, key: MediaKey, content: StoredContent): void {
  ctx.media.uploadCompleted(`${key.serverName}/${key.mediaId}`);
  const pixels = (content.width ?? 0) * (content.height ?? 0);
  if (pixels > 0 && pixels <= ctx.config.media.max_image_pixels) {
    ctx.media.track(
      (async () => {
        const media = await getMedia(ctx.db, key);
        if (media) await pregenerateThumbnails(ctx, media);
      })(),
    );
  }
}

/** POST /_matrix/media/v3/upload: a new media id for the bytes. */
export async function uploadMedia(
  ctx: HearthContext,
  requester: Requester,
  req: UploadRequest,
): Promise<string> {
  const content = await storeBytes(ctx, req);
  const key = { serverName: ctx.serverName, mediaId: newMediaId() };
  try {
    await insertMedia(ctx.db, key, requester.userId, content, ctx.clock());
  } catch (err) {
    await dropIfUnreferenced(ctx, content.sha256);
    throw err;
  }
  afterStored(ctx, key, content);
  return mxcUri(key);
}

/** POST /_matrix/media/v1/create: reserves an id for a later PUT, within the pending-upload limit. */
export async function createPendingUpload(
  ctx: HearthContext,
  requester: Requester,
): Promise<{ contentUri: string; expiresTs: number }> {
  const now = ctx.clock();
  await deleteExpiredPending(ctx.db, now);
  if ((await countPendingUploads(ctx.db, requester.userId, now)) >= ctx.config.media.max_pending_uploads) {
    throw limitExceeded(60_000);
  }
  const key = { serverName: ctx.serverName, mediaId: newMediaId() };
  const expiresTs = now + ctx.config.media.pending_upload_expiry_ms;
  await insertPendingMedia(ctx.db, key, requester.userId, now, expiresTs);
  return { contentUri: mxcUri(key), expiresTs };
}

const cannotOverwrite = (): MatrixError =>
  new MatrixError(409, "M_CANNOT_OVERWRITE_MEDIA", "Media already uploaded to this id");

/** PUT /_matrix/media/v3/upload/{serverName}/{mediaId}: fills an id from /create, once, by its creator. */
export async function uploadToPending(
  ctx: HearthContext,
  requester: Requester,
  key: MediaKey,
  req: UploadRequest,
): Promise<void> {
  const check = async (): Promise<void> => {
    const pending = key.serverName === ctx.serverName ? await getMedia(ctx.db, key) : undefined;
    if (!pending) throw notFound("Unknown media id");
    if (pending.uploader !== requester.userId) throw forbidden("This media id was created by another user");
    if (pending.uploadedTs !== null) throw cannotOverwrite();
    if ((pending.unusedExpiresTs ?? 0) <= ctx.clock()) throw notFound("This media id has expired");
  };
  await check(); // before reading a possibly large body
  const content = await storeBytes(ctx, req);
  if (!(await completePendingUpload(ctx.db, key, content, ctx.clock()))) {
    await dropIfUnreferenced(ctx, content.sha256);
    throw cannotOverwrite();
  }
  afterStored(ctx, key, content);
}
