import { randomUUID } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { matchedRoutes } from "hono/route";
import type { HearthContext } from "../context.ts";
import { isMediaUploadPath } from "../media/http/paths.ts";
import { corsHeaders } from "./cors.ts";
import { bufferedBody } from "./request-body.ts";
import { errorHandler, methodNotAllowedResponse, notFoundHandler } from "./errors.ts";
import { routeModulesFor } from "./resources.ts";
import type { HearthApp, HearthEnv, Resource } from "./types.ts";

/**
 * Federation bodies may be larger than clients': a full transaction is 50 PDUs of up to 64 KiB plus
 * 100 EDUs, and refusing one would stall delivery from that server for good.
 */
export const FEDERATION_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** The route pattern a request matched (not its path, so metrics keep a bounded set of labels). */
function matchedRoute(c: Parameters<MiddlewareHandler>[0]): string {
  return (
    matchedRoutes(c)
      .filter((r) => r.method !== "ALL")
      .at(-1)?.path ?? "unmatched"
  );
}

function observe(ctx: HearthContext): MiddlewareHandler<HearthEnv> {
  return async (c, next) => {
    const requestId = randomUUID();
    c.set("requestId", requestId);
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = matchedRoute(c);
    const status = c.res.status;
    ctx.metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
    ctx.metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
    ctx.log.info(
      { requestId, method: c.req.method, route, status, ms: Math.round(seconds * 1000) },
      "request",
    );
  };
}

/**
 * The app one listener serves: common middleware (request id, logs and metrics, CORS with preflights
 * answered before any handler, body limit, 405 for known paths), then the routes of its resources.
 */
export function createApp(ctx: HearthContext, resources: readonly Resource[]): HearthApp {
  const app: HearthApp = new Hono<HearthEnv>();
  app.use(observe(ctx));
  app.use(corsHeaders());
  app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedResponse }));
  const jsonBody = bufferedBody(ctx.config.http.max_request_bytes);
  const federationBody = bufferedBody(
    Math.max(ctx.config.http.max_request_bytes, FEDERATION_MAX_REQUEST_BYTES),
  );
  // Media uploads stream to disk under media.max_upload_bytes instead (src/media/receive.ts); bodiless
  // methods have nothing to read.
  app.use((c, next) =>
    c.req.method === "GET" || c.req.method === "HEAD" || isMediaUploadPath(c.req.path)
      ? next()
      : c.req.path.startsWith("/_matrix/federation/")
        ? federationBody(c, next)
        : jsonBody(c, next),
  );
  for (const register of routeModulesFor(resources)) register(app, ctx);
  app.notFound(notFoundHandler);
  app.onError(errorHandler(ctx.log));
  return app;
}
