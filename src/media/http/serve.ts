import { Readable } from "node:stream";
import type { Context } from "hono";
import { MatrixError } from "../../errors.ts";
import type { HearthContext } from "../../context.ts";
import { contentDisposition, SAFE_MEDIA_HEADERS } from "../content-headers.ts";
import { parseRange } from "../range.ts";

export interface ServedContent {
  sha256: string;
  sizeBytes: number;
  contentType: string;
  filename: string | null;
  /** Thumbnails are always inline (spec); downloads follow the safe-type allow-list. */
  forceInline?: boolean;
  /** Authenticated responses may only be cached by the client itself. */
  privateCache: boolean;
}

const ONE_YEAR_S = 31_536_000;

/** The bytes as a web stream; none for HEAD (hono drops the body, and an open file would linger). */
async function openBody(
  ctx: HearthContext,
  content: ServedContent,
  range: { start: number; end: number } | undefined,
  head: boolean,
): Promise<ReadableStream<Uint8Array> | null> {
  if (head && !(await ctx.media.store.has(content.sha256))) {
    throw new MatrixError(404, "M_NOT_FOUND", "Media not found");
  }
  if (head || content.sizeBytes === 0) return null;
  let stream: Readable;
  try {
    stream = await ctx.media.store.read(content.sha256, range);
  } catch {
    // The row exists but the bytes are gone (deleted underneath, or a broken store): not servable.
    throw new MatrixError(404, "M_NOT_FOUND", "Media not found");
  }
  return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
}

/**
 * Bytes from the store with the safe-serving headers. Content never changes under an id (it is
 * content-addressed), so the ETag is the hash and caching is immutable. Honours one byte range (206)
 * and If-None-Match (304); a range beyond the end is 416 with the size in Content-Range.
 */
export async function serveContent(
  ctx: HearthContext,
  c: Context,
  content: ServedContent,
): Promise<Response> {
  const etag = `"${content.sha256}"`;
  const disposition = content.forceInline
    ? `inline; filename="${content.filename ?? "thumbnail"}"`
    : contentDisposition(content.contentType, content.filename);
  const headers: Record<string, string> = {
    ...SAFE_MEDIA_HEADERS,
    "Content-Type": content.contentType,
    "Content-Disposition": disposition,
    "Cache-Control": `${content.privateCache ? "private" : "public"}, max-age=${ONE_YEAR_S}, immutable`,
    ETag: etag,
    "Accept-Ranges": "bytes",
  };
  const ifNoneMatch = c.req.header("if-none-match");
  if (
    ifNoneMatch !== undefined &&
    ifNoneMatch.split(",").some((t) => t.trim() === etag || t.trim() === "*")
  ) {
    return new Response(null, { status: 304, headers });
  }
  const ifRange = c.req.header("if-range");
  const range =
    ifRange === undefined || ifRange === etag
      ? parseRange(c.req.header("range"), content.sizeBytes)
      : ({ kind: "whole" } as const);
  if (range.kind === "unsatisfiable") {
    throw new MatrixError(
      416,
      "M_INVALID_PARAM",
      "Requested range is not satisfiable",
      {},
      {
        "Content-Range": `bytes */${content.sizeBytes}`,
      },
    );
  }
  const partial = range.kind === "partial" ? range : undefined;
  const body = await openBody(ctx, content, partial, c.req.method === "HEAD");
  if (partial) {
    headers["Content-Range"] = `bytes ${partial.start}-${partial.end}/${content.sizeBytes}`;
    headers["Content-Length"] = String(partial.end - partial.start + 1);
    return new Response(body, { status: 206, headers });
  }
  headers["Content-Length"] = String(content.sizeBytes);
  return new Response(body, { status: 200, headers });
}
