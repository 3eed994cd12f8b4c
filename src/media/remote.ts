import type { HearthContext } from "../context.ts";
import { isJsonObject } from "../core/json.ts";
import { FederationUnreachableError, type FederationResponse } from "../federation/contracts.ts";
import { MatrixError } from "../errors.ts";
import { getMedia, type MediaKey, type MediaRecord } from "../storage/media/media.ts";
import { hasControlChars, parseDeclaredType } from "./content-type.ts";
import { boundaryOf, parseMultipart } from "./multipart.ts";
import { storeBuffer } from "./store-buffer.ts";

/*
 * Remote media: fetched once over federation (GET /_matrix/federation/v1/media/download, falling back
 * to the legacy /_matrix/media/v3/download for servers that answer M_UNRECOGNIZED), then cached and
 * served like local media. Concurrent requests for the same item share one fetch.
 */

const FETCH_TIMEOUT_MS = 20_000;

interface Fetched {
  bytes: Buffer;
  contentType: string | null;
  disposition: string | null;
}

const remoteFailed = (why: string): MatrixError =>
  new MatrixError(502, "M_UNKNOWN", `Failed to fetch remote media: ${why}`);

function isUnrecognized(res: FederationResponse): boolean {
  return (
    (res.status === 404 || res.status === 405 || res.status === 400) &&
    isJsonObject(res.body) &&
    res.body.errcode === "M_UNRECOGNIZED"
  );
}

function fromMultipart(res: FederationResponse): Fetched {
  const boundary = boundaryOf(res.headers.get("content-type"));
  if (boundary === undefined) throw remoteFailed("answer is not multipart/mixed");
  const parts = parseMultipart(Buffer.from(res.rawBody ?? new Uint8Array()), boundary);
  const media = parts?.[1];
  if (!parts || !media) throw remoteFailed("malformed multipart answer");
  if (media.headers.has("location")) throw remoteFailed("redirects to another location are not followed");
  return {
    bytes: media.body,
    contentType: media.headers.get("content-type") ?? null,
    disposition: media.headers.get("content-disposition") ?? null,
  };
}

/** The file name a Content-Disposition gives (plain or RFC 8187 `filename*`), if any. */
export function filenameOf(disposition: string | null): string | null {
  if (disposition === null) return null;
  const star = /filename\*\s*=\s*utf-8''([^;]+)/i.exec(disposition);
  let name: string | undefined;
  if (star?.[1]) {
    try {
      name = decodeURIComponent(star[1].trim());
    } catch {
      name = undefined;
    }
  }
  name ??=
    /filename\s*=\s*"([^"]*)"/i.exec(disposition)?.[1] ?? /filename\s*=\s*([^;\s]+)/i.exec(disposition)?.[1];
  if (!name || Buffer.byteLength(name) > 255 || hasControlChars(name)) return null;
  return name;
}

async function request(ctx: HearthContext, destination: string, path: string): Promise<FederationResponse> {
  try {
    return await ctx.federation.client.request({
      destination,
      method: "GET",
      path,
      timeoutMs: FETCH_TIMEOUT_MS,
    });
  } catch (err) {
    if (err instanceof FederationUnreachableError) throw remoteFailed(`${destination} is unreachable`);
    throw err;
  }
}

async function download(ctx: HearthContext, key: MediaKey): Promise<Fetched | undefined> {
  const id = encodeURIComponent(key.mediaId);
  let res = await request(
    ctx,
    key.serverName,
    `/_matrix/federation/v1/media/download/${id}?timeout_ms=${FETCH_TIMEOUT_MS}`,
  );
  if (res.status === 200) return fromMultipart(res);
  if (isUnrecognized(res)) {
    // Servers before spec v1.11 only have the (unauthenticated) client download endpoint.
    const server = encodeURIComponent(key.serverName);
    res = await request(
      ctx,
      key.serverName,
      `/_matrix/media/v3/download/${server}/${id}?allow_remote=false&timeout_ms=${FETCH_TIMEOUT_MS}`,
    );
    if (res.status === 200) {
      return {
        bytes: Buffer.from(res.rawBody ?? new Uint8Array()),
        contentType: res.headers.get("content-type"),
        disposition: res.headers.get("content-disposition"),
      };
    }
  }
  if (res.status === 404) return undefined;
  if (res.status === 504)
    throw new MatrixError(504, "M_NOT_YET_UPLOADED", "The remote media is not uploaded yet");
  throw remoteFailed(`${key.serverName} answered ${res.status}`);
}

function safeContentType(header: string | null): string {
  try {
    return parseDeclaredType(header ?? undefined) ?? "application/octet-stream";
  } catch {
    return "application/octet-stream";
  }
}

async function fetchAndCache(ctx: HearthContext, key: MediaKey): Promise<MediaRecord | undefined> {
  const cached = await getMedia(ctx.db, key);
  if (cached) return cached;
  const fetched = await download(ctx, key);
  if (!fetched) return undefined;
  if (fetched.bytes.length > ctx.config.media.max_upload_bytes) {
    throw new MatrixError(502, "M_TOO_LARGE", "Remote media is larger than this server accepts");
  }
  const contentType = safeContentType(fetched.contentType);
  await storeBuffer(ctx, key, null, fetched.bytes, contentType, filenameOf(fetched.disposition));
  return getMedia(ctx.db, key);
}

/** Remote media into the cache (once per item at a time); undefined when the origin does not have it. */
export function fetchRemoteMedia(ctx: HearthContext, key: MediaKey): Promise<MediaRecord | undefined> {
  return ctx.media.once(`remote|${key.serverName}|${key.mediaId}`, () => fetchAndCache(ctx, key));
}
