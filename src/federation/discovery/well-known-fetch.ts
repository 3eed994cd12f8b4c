import { request, type Dispatcher } from "undici";
import type { WellKnownFetcher, WellKnownResponse } from "./resolver.ts";

/** A well-known answer is a few bytes; anything bigger is not one. */
export const MAX_WELL_KNOWN_BYTES = 50 * 1024;
const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 10_000;

export class WellKnownFetchError extends Error {
  override name = "WellKnownFetchError";
}

async function readLimited(body: Dispatcher.ResponseData["body"]): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_WELL_KNOWN_BYTES) {
      // Throwing out of the loop destroys the stream (and that connection).
      throw new WellKnownFetchError("well-known answer too large");
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toHeaders(raw: Dispatcher.ResponseData["headers"]): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/**
 * Fetches `https://<hostname>/.well-known/matrix/server` through the federation agent (so the TLS
 * checks and the address policy apply), following up to five https redirects.
 */
export function createWellKnownFetcher(
  dispatcher: Dispatcher,
  opts: { port?: number } = {},
): WellKnownFetcher {
  // The port is for tests: the spec's lookup is always on 443.
  const port = opts.port === undefined ? "" : `:${opts.port}`;
  return async (hostname: string): Promise<WellKnownResponse> => {
    let url = new URL(`https://${hostname}${port}/.well-known/matrix/server`);
    for (let hop = 0; ; hop++) {
      const res = await request(url, {
        method: "GET",
        dispatcher,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const location = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === "string") {
        await res.body.dump();
        if (hop >= MAX_REDIRECTS) throw new WellKnownFetchError("too many redirects");
        url = new URL(location, url);
        if (url.protocol !== "https:") throw new WellKnownFetchError("redirect away from https");
        continue;
      }
      return { status: res.statusCode, headers: toHeaders(res.headers), body: await readLimited(res.body) };
    }
  };
}
