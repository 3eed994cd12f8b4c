import type { ColumnType } from "kysely";

type BigInt = ColumnType<string, number, number>;
type NullableBigInt = ColumnType<string | null, number | null | undefined, number | null>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** Kysely view of migrations/0011_media.sql. */
export interface MediaTable {
  server_name: string;
  media_id: string;
  uploader: Nullable<string>;
  content_type: Nullable<string>;
  upload_name: Nullable<string>;
  size_bytes: NullableBigInt;
  sha256: Nullable<string>;
  width: Nullable<number>;
  height: Nullable<number>;
  duration_ms: NullableBigInt;
  created_ts: BigInt;
  uploaded_ts: NullableBigInt;
  unused_expires_ts: NullableBigInt;
  last_access_ts: NullableBigInt;
  quarantined: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface MediaThumbnailsTable {
  server_name: string;
  media_id: string;
  width: number;
  height: number;
  method: "crop" | "scale";
  animated: boolean;
  content_type: string;
  size_bytes: BigInt;
  sha256: string;
  created_ts: BigInt;
}

export interface MediaTables {
  media: MediaTable;
  media_thumbnails: MediaThumbnailsTable;
}
