import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A Matrix error as the spec shapes it: `{errcode, error, ...extra}` with an HTTP status. */
export class MatrixError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "MatrixError";
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const unrecognized = (message = "Unrecognized request"): MatrixError =>
  new MatrixError(404, "M_UNRECOGNIZED", message);
export const notFound = (message = "Not found"): MatrixError => new MatrixError(404, "M_NOT_FOUND", message);
export const forbidden = (message: string): MatrixError => new MatrixError(403, "M_FORBIDDEN", message);
export const badJson = (message: string): MatrixError => new MatrixError(400, "M_BAD_JSON", message);
export const notJson = (message = "Content not JSON."): MatrixError =>
  new MatrixError(400, "M_NOT_JSON", message);
export const invalidParam = (message: string): MatrixError =>
  new MatrixError(400, "M_INVALID_PARAM", message);
export const missingParam = (message: string): MatrixError =>
  new MatrixError(400, "M_MISSING_PARAM", message);
export const tooLarge = (message = "Request body too large"): MatrixError =>
  new MatrixError(413, "M_TOO_LARGE", message);
/** 429 with both the `Retry-After` header (seconds, rounded up) and the deprecated `retry_after_ms`. */
export const limitExceeded = (retryAfterMs: number): MatrixError =>
  new MatrixError(
    429,
    "M_LIMIT_EXCEEDED",
    "Too many requests",
    { retry_after_ms: retryAfterMs },
    { "Retry-After": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  );
