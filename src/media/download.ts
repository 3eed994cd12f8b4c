import type { HearthContext } from "../context.ts";
import { MatrixError, notFound } from "../errors.ts";
import { getMedia, touchMedia, type MediaKey, type MediaRecord } from "../storage/media/media.ts";

/** Media whose bytes are here: what serving needs. */
export type AvailableMedia = MediaRecord & { contentType: string; sha256: string; sizeBytes: number };

export interface ResolveOptions {
  /** How long to wait for a pending upload (timeout_ms). */
  timeoutMs: number;
  /** The deprecated unauthenticated endpoints: subject to the freeze. */
  legacy: boolean;
  /** Fetch uncached remote media over federation (false: only what is cached). */
  allowRemote: boolean;
}

export const DEFAULT_TIMEOUT_MS = 20_000;
export const MAX_TIMEOUT_MS = 60_000;

/** Fetches remote media into the cache; provided by the federation media part when it is wired in. */
export type RemoteMediaFetcher = (ctx: HearthContext, key: MediaKey) => Promise<MediaRecord | undefined>;

const notYetUploaded = (): MatrixError =>
  new MatrixError(504, "M_NOT_YET_UPLOADED", "The media has not been uploaded yet");

/** Only refresh last_access this often per item, so range requests of a playing video are not writes. */
const ACCESS_WRITE_INTERVAL_MS = 60_000;

/**
 * The media for a download or thumbnail: 404 M_NOT_FOUND when unknown, quarantined, frozen for the
 * legacy endpoints or an expired pending id; waits up to timeout_ms for a pending upload, then 504.
 */
export async function resolveMedia(
  ctx: HearthContext,
  key: MediaKey,
  opts: ResolveOptions,
  fetchRemote?: RemoteMediaFetcher,
): Promise<AvailableMedia> {
  let media = await getMedia(ctx.db, key);
  if (!media && key.serverName !== ctx.serverName && opts.allowRemote && fetchRemote) {
    media = await fetchRemote(ctx, key);
  }
  if (!media || media.quarantined) throw notFound("Media not found");
  if (media.uploadedTs === null) {
    const remaining = (media.unusedExpiresTs ?? 0) - ctx.clock();
    if (remaining <= 0) throw notFound("Media not found");
    await ctx.media.waitForUpload(`${key.serverName}/${key.mediaId}`, Math.min(opts.timeoutMs, remaining));
    // Read again even after a timeout: another process may have taken the upload (its wake-up is
    // in-process only).
    media = await getMedia(ctx.db, key);
    if (!media || media.quarantined) throw notFound("Media not found");
    if (media.uploadedTs === null) throw notYetUploaded();
  }
  if (opts.legacy && ctx.media.legacyFreezeTs !== undefined && media.createdTs >= ctx.media.legacyFreezeTs) {
    throw notFound("Media not found (only available through the authenticated /_matrix/client/v1/media API)");
  }
  if (media.contentType === null || media.sha256 === null || media.sizeBytes === null) {
    throw notFound("Media not found");
  }
  const now = ctx.clock();
  if (media.lastAccessTs === null || now - media.lastAccessTs >= ACCESS_WRITE_INTERVAL_MS) {
    await touchMedia(ctx.db, key, now);
  }
  return media as AvailableMedia;
}
