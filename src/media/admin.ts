import type { HearthContext } from "../context.ts";
import {
  deleteMediaRow,
  listMediaByUploader,
  listRemoteMediaIdleSince,
  setQuarantinedById,
  setQuarantinedByUploader,
} from "../storage/media/admin.ts";
import { isContentReferenced, type MediaKey } from "../storage/media/media.ts";

/*
 * Media administration for the admin API and CLI (issue 8). Quarantined media stays stored but is
 * never served; deleting removes the rows, the thumbnails and every byte no other row shares.
 */

/** Returns how many items changed (0: unknown id). */
export function quarantineMedia(ctx: HearthContext, key: MediaKey, quarantined = true): Promise<number> {
  return setQuarantinedById(ctx.db, key, quarantined);
}

export function quarantineMediaByUploader(
  ctx: HearthContext,
  userId: string,
  quarantined = true,
): Promise<number> {
  return setQuarantinedByUploader(ctx.db, userId, quarantined);
}

/** Deletes one item with its thumbnails and bytes; false when it did not exist. */
export async function deleteMedia(ctx: HearthContext, key: MediaKey): Promise<boolean> {
  const { deleted, hashes } = await deleteMediaRow(ctx.db, key);
  for (const sha256 of hashes) {
    if (!(await isContentReferenced(ctx.db, sha256))) await ctx.media.store.delete(sha256);
  }
  return deleted;
}

/** Deletes everything a local user uploaded; returns the ids deleted. */
export async function deleteMediaByUploader(ctx: HearthContext, userId: string): Promise<MediaKey[]> {
  const deleted: MediaKey[] = [];
  for (const key of await listMediaByUploader(ctx.db, userId)) {
    if (await deleteMedia(ctx, key)) deleted.push(key);
  }
  return deleted;
}

/** Drops cached remote media not served since `beforeTs` (it is fetched again when next asked for). */
export async function purgeRemoteMediaCache(ctx: HearthContext, beforeTs: number): Promise<number> {
  let purged = 0;
  for (const key of await listRemoteMediaIdleSince(ctx.db, ctx.serverName, beforeTs)) {
    if (await deleteMedia(ctx, key)) purged += 1;
  }
  return purged;
}
