import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { MatrixError, tooLarge } from "../errors.ts";
import type { MediaStore } from "./store.ts";

/** An upload body written to a temp file in the store, hashed on the way. */
export interface ReceivedFile {
  tempFile: string;
  sha256: string;
  size: number;
  /** The first bytes, for content sniffing. */
  head: Buffer;
}

const HEAD_BYTES = 4100; // what file-type needs to recognise every format it knows

class TooLargeError extends Error {}

/** Counts, hashes and keeps the head of the bytes passing through; fails past `max`. */
class Meter extends Transform {
  readonly hash = createHash("sha256");
  size = 0;
  private headParts: Buffer[] = [];
  private headSize = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) {
      callback(new TooLargeError());
      return;
    }
    this.hash.update(chunk);
    if (this.headSize < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.headSize);
      this.headParts.push(part);
      this.headSize += part.length;
    }
    callback(null, chunk);
  }

  head(): Buffer {
    return Buffer.concat(this.headParts);
  }
}

/**
 * Streams a request body to a temp file (never the whole body in memory): 413 M_TOO_LARGE past
 * `maxBytes` (early from Content-Length when declared), 400 when the body ends short of its declared
 * Content-Length. On any failure the temp file is gone.
 */
export async function receiveToTempFile(
  store: MediaStore,
  body: ReadableStream<Uint8Array> | null,
  declaredLength: string | undefined,
  maxBytes: number,
): Promise<ReceivedFile> {
  let expected: number | undefined;
  if (declaredLength !== undefined) {
    if (!/^\d{1,16}$/.test(declaredLength))
      throw new MatrixError(400, "M_INVALID_PARAM", "Bad Content-Length");
    expected = Number(declaredLength);
    if (expected > maxBytes) throw tooLarge(`Upload is larger than the ${maxBytes}-byte limit`);
  }
  const tempFile = store.tempPath();
  const meter = new Meter(maxBytes);
  const source = body ? Readable.fromWeb(body as WebReadableStream<Uint8Array>) : Readable.from([]);
  try {
    await pipeline(source, meter, createWriteStream(tempFile, { flags: "wx" }));
  } catch (err) {
    await rm(tempFile, { force: true });
    if (err instanceof TooLargeError) throw tooLarge(`Upload is larger than the ${maxBytes}-byte limit`);
    // The client went away or the body broke off mid-way: nothing is kept.
    throw new MatrixError(400, "M_INVALID_PARAM", "Upload body ended early");
  }
  if (expected !== undefined && meter.size !== expected) {
    await rm(tempFile, { force: true });
    throw new MatrixError(400, "M_INVALID_PARAM", "Upload body does not match its Content-Length");
  }
  return { tempFile, sha256: meter.hash.digest("hex"), size: meter.size, head: meter.head() };
}
