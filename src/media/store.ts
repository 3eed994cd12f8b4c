import type { Readable } from "node:stream";

/**
 * Where media bytes live, keyed by the lower-case hex SHA-256 of their content so identical uploads
 * share storage. The filesystem store is the only one today; an S3-compatible store implements the
 * same calls (bytes reach it as a finished temp file, already hashed).
 */
export interface MediaStore {
  /** A fresh path for a temp file on the same filesystem as the store, so put() can rename. */
  tempPath(): string;
  /** Moves a finished temp file into place under `sha256` (kept as is when those bytes exist). */
  put(tempFile: string, sha256: string): Promise<void>;
  /** Writes small bytes (thumbnails) under their hash. */
  putBytes(bytes: Uint8Array, sha256: string): Promise<void>;
  /** Reads [start, end] inclusive, or everything. Rejects with ENOENT when absent. */
  read(sha256: string, range?: { start: number; end: number }): Promise<Readable>;
  /** A local file path for tools that need one (sharp, ffmpeg). */
  localPath(sha256: string): Promise<string>;
  has(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Keys come from our own hashing, never from a request; this guards the store against a bug. */
export function assertContentKey(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a content key: ${sha256}`);
}
