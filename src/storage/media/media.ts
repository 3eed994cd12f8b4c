import type { Selectable } from "kysely";
import type { Db } from "../database.ts";
import type { MediaTable } from "./tables.ts";

/** One mxc:// item as the media services see it. */
export interface MediaRecord {
  serverName: string;
  mediaId: string;
  uploader: string | null;
  /** null while an asynchronous upload is pending. */
  contentType: string | null;
  uploadName: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  createdTs: number;
  uploadedTs: number | null;
  unusedExpiresTs: number | null;
  lastAccessTs: number | null;
  quarantined: boolean;
}

export interface MediaKey {
  serverName: string;
  mediaId: string;
}

/** What is known once the bytes are stored. */
export interface StoredContent {
  contentType: string;
  uploadName: string | null;
  sizeBytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  durationMs: number | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

function toRecord(row: Selectable<MediaTable>): MediaRecord {
  return {
    serverName: row.server_name,
    mediaId: row.media_id,
    uploader: row.uploader,
    contentType: row.content_type,
    uploadName: row.upload_name,
    sizeBytes: num(row.size_bytes),
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    durationMs: num(row.duration_ms),
    createdTs: Number(row.created_ts),
    uploadedTs: num(row.uploaded_ts),
    unusedExpiresTs: num(row.unused_expires_ts),
    lastAccessTs: num(row.last_access_ts),
    quarantined: row.quarantined,
  };
}

const contentColumns = (c: StoredContent) => ({
  content_type: c.contentType,
  upload_name: c.uploadName,
  size_bytes: c.sizeBytes,
  sha256: c.sha256,
  width: c.width,
  height: c.height,
  duration_ms: c.durationMs,
});

export async function getMedia(db: Db, key: MediaKey): Promise<MediaRecord | undefined> {
  const row = await db
    .selectFrom("media")
    .selectAll()
    .where("server_name", "=", key.serverName)
    .where("media_id", "=", key.mediaId)
    .executeTakeFirst();
  return row && toRecord(row);
}

/** A completed local upload or a fetched remote item. False if the id already exists. */
export async function insertMedia(
  db: Db,
  key: MediaKey,
  uploader: string | null,
  content: StoredContent,
  now: number,
): Promise<boolean> {
  const result = await db
    .insertInto("media")
    .values({
      server_name: key.serverName,
      media_id: key.mediaId,
      uploader,
      ...contentColumns(content),
      created_ts: now,
      uploaded_ts: now,
      last_access_ts: now,
    })
    .onConflict((oc) => oc.columns(["server_name", "media_id"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** An id reserved by POST /media/v1/create, to be filled by PUT /upload before `expiresTs`. */
export async function insertPendingMedia(
  db: Db,
  key: MediaKey,
  uploader: string,
  now: number,
  expiresTs: number,
): Promise<void> {
  await db
    .insertInto("media")
    .values({
      server_name: key.serverName,
      media_id: key.mediaId,
      uploader,
      created_ts: now,
      unused_expires_ts: expiresTs,
    })
    .execute();
}

export async function countPendingUploads(db: Db, uploader: string, now: number): Promise<number> {
  const row = await db
    .selectFrom("media")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("uploader", "=", uploader)
    .where("uploaded_ts", "is", null)
    .where("unused_expires_ts", ">", String(now))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Forgets pending ids nobody uploaded to in time (they never had bytes). */
export async function deleteExpiredPending(db: Db, now: number): Promise<void> {
  await db
    .deleteFrom("media")
    .where("uploaded_ts", "is", null)
    .where("unused_expires_ts", "<=", String(now))
    .execute();
}

/** Fills a pending upload; false when it was filled meanwhile (or is gone), so the caller answers 409. */
export async function completePendingUpload(
  db: Db,
  key: MediaKey,
  content: StoredContent,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable("media")
    .set({ ...contentColumns(content), uploaded_ts: now, unused_expires_ts: null, last_access_ts: now })
    .where("server_name", "=", key.serverName)
    .where("media_id", "=", key.mediaId)
    .where("uploaded_ts", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function touchMedia(db: Db, key: MediaKey, now: number): Promise<void> {
  await db
    .updateTable("media")
    .set({ last_access_ts: now })
    .where("server_name", "=", key.serverName)
    .where("media_id", "=", key.mediaId)
    .execute();
}

/** Whether any media or thumbnail row still points at these bytes (content-addressed sharing). */
export async function isContentReferenced(db: Db, sha256: string): Promise<boolean> {
  const media = await db
    .selectFrom("media")
    .select("media_id")
    .where("sha256", "=", sha256)
    .executeTakeFirst();
  if (media) return true;
  const thumb = await db
    .selectFrom("media_thumbnails")
    .select("media_id")
    .where("sha256", "=", sha256)
    .executeTakeFirst();
  return thumb !== undefined;
}
