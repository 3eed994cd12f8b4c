import type { HearthContext } from "../context.ts";
import { invalidParam, MatrixError, missingParam, notFound } from "../errors.ts";
import {
  deleteMedia,
  deleteMediaByUploader,
  purgeRemoteMediaCache,
  quarantineMedia,
  quarantineMediaByUploader,
} from "../media/admin.ts";
import { mediaKeyOf } from "../media/media-id.ts";
import type { MediaKey } from "../storage/media/media.ts";
import { logAdminAction, type AdminActor } from "./audit.ts";
import { requireUser } from "./users.ts";

/*
 * Media administration for the admin API and `hearth admin media`: the media repository's own
 * operations (src/media/admin.ts), with Synapse's checks and the audit log.
 */

/** A media item from `mxc://server/id` or `server/id`. */
export function mediaKeyFromText(text: string): MediaKey {
  const m = /^(?:mxc:\/\/)?([^/]+)\/([^/]+)$/.exec(text);
  if (!m) throw invalidParam(`'${text}' is not a media id (mxc://server/id)`);
  return mediaKeyOf(m[1]!, m[2]!);
}

export async function setMediaQuarantined(
  ctx: HearthContext,
  actor: AdminActor,
  key: MediaKey,
  quarantined: boolean,
): Promise<number> {
  const changed = await quarantineMedia(ctx, key, quarantined);
  logAdminAction(ctx, actor, quarantined ? "quarantine_media" : "unquarantine_media", { ...key, changed });
  return changed;
}

export async function quarantineUserMedia(
  ctx: HearthContext,
  actor: AdminActor,
  userId: string,
): Promise<number> {
  await requireUser(ctx, userId);
  const n = await quarantineMediaByUploader(ctx, userId, true);
  logAdminAction(ctx, actor, "quarantine_user_media", { userId, count: n });
  return n;
}

/** Deletes one local item; Synapse refuses remote ones here (purge the cache instead). */
export async function deleteLocalMedia(ctx: HearthContext, actor: AdminActor, key: MediaKey): Promise<void> {
  if (key.serverName !== ctx.serverName)
    throw new MatrixError(400, "M_UNKNOWN", "Can only delete local media");
  if (!(await deleteMedia(ctx, key))) throw notFound("Unknown media");
  logAdminAction(ctx, actor, "delete_media", { ...key });
}

export async function deleteUserMedia(
  ctx: HearthContext,
  actor: AdminActor,
  userId: string,
): Promise<string[]> {
  await requireUser(ctx, userId);
  const deleted = (await deleteMediaByUploader(ctx, userId)).map((k) => k.mediaId);
  logAdminAction(ctx, actor, "delete_user_media", { userId, count: deleted.length });
  return deleted;
}

/** Timestamps below this are seconds, not milliseconds (Synapse's guard: "from the year 1970"). */
const MS_TIMESTAMP_FLOOR = 30_000_000_000;

export async function purgeRemoteMedia(
  ctx: HearthContext,
  actor: AdminActor,
  beforeTs: number | undefined,
): Promise<number> {
  if (beforeTs === undefined) throw missingParam("Missing integer query parameter 'before_ts'");
  if (!Number.isSafeInteger(beforeTs) || beforeTs < 0) {
    throw invalidParam("Query parameter before_ts must be a positive integer.");
  }
  if (beforeTs < MS_TIMESTAMP_FLOOR) {
    throw invalidParam(
      "Query parameter before_ts you provided is from the year 1970. Double check that you are providing a timestamp in milliseconds.",
    );
  }
  const n = await purgeRemoteMediaCache(ctx, beforeTs);
  logAdminAction(ctx, actor, "purge_remote_media", { beforeTs, deleted: n });
  return n;
}
