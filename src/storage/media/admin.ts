import type { Db } from "../database.ts";
import type { MediaKey } from "./media.ts";

/*
 * Storage for the admin API (issue 8): quarantine and delete by id or uploader, and the remote-cache
 * purge. Deleting rows returns the content hashes they used, so the service can remove bytes that no
 * other row shares.
 */

export async function setQuarantinedById(db: Db, key: MediaKey, quarantined: boolean): Promise<number> {
  const result = await db
    .updateTable("media")
    .set({ quarantined })
    .where("server_name", "=", key.serverName)
    .where("media_id", "=", key.mediaId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function setQuarantinedByUploader(
  db: Db,
  uploader: string,
  quarantined: boolean,
): Promise<number> {
  const result = await db
    .updateTable("media")
    .set({ quarantined })
    .where("uploader", "=", uploader)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listMediaByUploader(db: Db, uploader: string): Promise<MediaKey[]> {
  const rows = await db
    .selectFrom("media")
    .select(["server_name", "media_id"])
    .where("uploader", "=", uploader)
    .orderBy("created_ts")
    .execute();
  return rows.map((r) => ({ serverName: r.server_name, mediaId: r.media_id }));
}

/** Cached remote media (server_name other than ours) not served since `beforeTs`. */
export async function listRemoteMediaIdleSince(
  db: Db,
  localServerName: string,
  beforeTs: number,
): Promise<MediaKey[]> {
  const rows = await db
    .selectFrom("media")
    .select(["server_name", "media_id"])
    .where("server_name", "!=", localServerName)
    .where((eb) =>
      eb.or([
        eb("last_access_ts", "<", String(beforeTs)),
        eb.and([eb("last_access_ts", "is", null), eb("created_ts", "<", String(beforeTs))]),
      ]),
    )
    .execute();
  return rows.map((r) => ({ serverName: r.server_name, mediaId: r.media_id }));
}

/** Deletes one item and its thumbnails; returns whether it existed and the content hashes they used. */
export async function deleteMediaRow(db: Db, key: MediaKey): Promise<{ deleted: boolean; hashes: string[] }> {
  return db.transaction().execute(async (tx) => {
    const thumbs = await tx
      .deleteFrom("media_thumbnails")
      .where("server_name", "=", key.serverName)
      .where("media_id", "=", key.mediaId)
      .returning("sha256")
      .execute();
    const media = await tx
      .deleteFrom("media")
      .where("server_name", "=", key.serverName)
      .where("media_id", "=", key.mediaId)
      .returning("sha256")
      .executeTakeFirst();
    if (!media) return { deleted: false, hashes: [] };
    const hashes = thumbs.map((t) => t.sha256);
    if (media.sha256 !== null) hashes.push(media.sha256);
    return { deleted: true, hashes: [...new Set(hashes)] };
  });
}
