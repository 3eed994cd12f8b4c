import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { MatrixError, tooLarge, unrecognized } from "../errors.ts";
import type { Logger } from "../util/logger.ts";
import type { HearthEnv } from "./types.ts";

export function matrixErrorResponse(c: Context, err: MatrixError): Response {
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json(err.toJSON(), err.status);
}

/** Maps anything thrown by a handler to a Matrix error; bugs become 500 M_UNKNOWN with no details leaked. */
export function errorHandler(log: Logger) {
  return (err: Error, c: Context<HearthEnv>): Response => {
    if (err instanceof MatrixError) return matrixErrorResponse(c, err);
    if (err instanceof HTTPException && err.status === 413) return matrixErrorResponse(c, tooLarge());
    const requestId = c.get("requestId");
    log.error({ err, requestId, method: c.req.method, path: c.req.path }, "unhandled error");
    return c.json({ errcode: "M_UNKNOWN", error: `Internal server error (request ${requestId})` }, 500);
  };
}

export function notFoundHandler(c: Context): Response {
  return matrixErrorResponse(c, unrecognized());
}

export function methodNotAllowedResponse(c: Context, methods: string[]): Response {
  c.header("Allow", methods.join(", "));
  return c.json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request: method not allowed" }, 405);
}
