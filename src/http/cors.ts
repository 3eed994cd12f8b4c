import type { MiddlewareHandler } from "hono";

const PREFLIGHT_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization",
};

/**
 * CORS as the spec asks of every endpoint: preflights (any OPTIONS) answered at once, before routing
 * or handlers, and `Access-Control-Allow-Origin: *` on every response. The header is added to the
 * response the handler made, after it: hono's cors middleware sets it through `c.res` beforehand,
 * which makes the Node adapter turn every response into a full web Response with a stream.
 */
export function corsHeaders(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return new Response(null, { status: 204, headers: PREFLIGHT_HEADERS });
    await next();
    try {
      c.res.headers.set("Access-Control-Allow-Origin", "*");
    } catch {
      // A response with immutable headers (one passed through from fetch) keeps them as they are.
    }
  };
}
