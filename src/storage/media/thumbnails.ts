import type { Db } from "../database.ts";
import type { MediaKey } from "./media.ts";

export type ThumbnailMethod = "crop" | "scale";

export interface ThumbnailRecord {
  width: number;
  height: number;
  method: ThumbnailMethod;
  animated: boolean;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

export async function listThumbnails(db: Db, key: MediaKey): Promise<ThumbnailRecord[]> {
  const rows = await db
    .selectFrom("media_thumbnails")
    .selectAll()
    .where("server_name", "=", key.serverName)
    .where("media_id", "=", key.mediaId)
    .execute();
  return rows.map((r) => ({
    width: r.width,
    height: r.height,
    method: r.method,
    animated: r.animated,
    contentType: r.content_type,
    sizeBytes: Number(r.size_bytes),
    sha256: r.sha256,
  }));
}

/** Records a generated thumbnail; a concurrent identical one wins silently (same target, same bytes). */
export async function insertThumbnail(
  db: Db,
  key: MediaKey,
  thumb: ThumbnailRecord,
  now: number,
): Promise<void> {
  await db
    .insertInto("media_thumbnails")
    .values({
      server_name: key.serverName,
      media_id: key.mediaId,
      width: thumb.width,
      height: thumb.height,
      method: thumb.method,
      animated: thumb.animated,
      content_type: thumb.contentType,
      size_bytes: thumb.sizeBytes,
      sha256: thumb.sha256,
      created_ts: now,
    })
    .onConflict((oc) =>
      oc.columns(["server_name", "media_id", "width", "height", "method", "animated"]).doNothing(),
    )
    .execute();
}
