import type { ServerResponse } from "node:http";
import type { Context } from "hono";

/**
 * Aborts when the client closes the connection before the response is sent. On a Node listener this
 * watches the response directly: `c.req.raw.signal` would make the adapter build a full web Request
 * for the request, which costs more than the rest of a typical /sync.
 */
export function clientGoneSignal(c: Context): AbortSignal {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) return c.req.raw.signal;
  const gone = new AbortController();
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) gone.abort();
  });
  return gone.signal;
}
