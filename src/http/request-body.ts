import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { tooLarge } from "../errors.ts";
import type { HearthEnv } from "./types.ts";

const EMPTY = new Uint8Array(0);

/**
 * Reads a Node request's body, refusing it (413) past `maxBytes`, declared or streamed. An oversized
 * stream is left to drain rather than destroyed, so the client still gets the 413.
 */
function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = incoming.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      done();
      incoming.resume();
      reject(tooLarge());
    };
    const onEnd = (): void => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    // The client went away before sending all of it.
    const onClose = (): void => onError(new Error("request closed before its body ended"));
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

/**
 * Reads the whole body up front, at most `maxBytes` (413 M_TOO_LARGE beyond), for requestBytes. On a
 * Node listener it reads Node's request directly: going through `c.req.raw` would make the adapter
 * build a web Request and stream, which costs more than handling a typical small JSON request.
 */
export function bufferedBody(maxBytes: number): MiddlewareHandler<HearthEnv> {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming) return limit(c, next);
    c.set("body", await readIncoming(incoming, maxBytes));
    return next();
  };
}

/** The request's body bytes (empty when it has none). */
export async function requestBytes(c: Context<HearthEnv>): Promise<Uint8Array> {
  const read = c.get("body");
  if (read) return read;
  if (c.req.method === "GET" || c.req.method === "HEAD") return EMPTY;
  return new Uint8Array(await c.req.arrayBuffer());
}
