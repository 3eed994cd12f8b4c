import type { Dispatcher } from "undici";
import { request } from "undici";
import { MatrixError } from "../../errors.ts";
import { BlockedAddressError } from "../../federation/client/agent.ts";

/** A fetched resource, cut at the byte limit. */
export interface FetchedPage {
  url: string;
  status: number;
  contentType: string;
  bytes: Buffer;
  /** Whether the body went past the limit (and was cut). */
  truncated: boolean;
}

const MAX_REDIRECTS = 5;

function isBlocked(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof BlockedAddressError || (e as { code?: string }).code === "EBLOCKEDADDRESS") return true;
  }
  return false;
}

/** Drops the rest of a body; undici reports that as an AbortError, which is expected here. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}

async function readUpTo(
  body: Dispatcher.ResponseData["body"],
  max: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > max) {
      chunks.push(buf.subarray(0, max - size));
      discard(body);
      return { bytes: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}

/**
 * GET over http(s) through `dispatcher` (whose connector refuses private addresses unless allowed),
 * following redirects itself so every hop is checked; the whole fetch must finish within `timeoutMs`.
 */
export async function fetchLimited(
  dispatcher: Dispatcher,
  url: string,
  opts: { maxBytes: number; timeoutMs: number },
): Promise<FetchedPage> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let current = new URL(url);
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (current.protocol !== "http:" && current.protocol !== "https:") {
        throw new MatrixError(400, "M_INVALID_PARAM", "Only http and https URLs can be previewed");
      }
      const res = await request(current, {
        method: "GET",
        dispatcher,
        signal,
        headers: { "user-agent": "Hearth (Matrix URL preview)", accept: "text/html,image/*;q=0.9,*/*;q=0.1" },
      });
      const location = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === "string") {
        discard(res.body);
        current = new URL(location, current);
        continue;
      }
      const type = res.headers["content-type"];
      const { bytes, truncated } = await readUpTo(res.body, opts.maxBytes);
      return {
        url: current.toString(),
        status: res.statusCode,
        contentType: typeof type === "string" ? type : "application/octet-stream",
        bytes,
        truncated,
      };
    }
  } catch (err) {
    if (err instanceof MatrixError) throw err;
    if (isBlocked(err))
      throw new MatrixError(403, "M_FORBIDDEN", "That URL resolves to an address previews may not reach");
    if (signal.aborted) throw new MatrixError(504, "M_UNKNOWN", "Timed out fetching the URL");
    throw new MatrixError(502, "M_UNKNOWN", "Could not fetch the URL");
  }
  throw new MatrixError(502, "M_UNKNOWN", "Too many redirects");
}
