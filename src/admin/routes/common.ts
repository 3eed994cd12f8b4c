import type { Context, MiddlewareHandler } from "hono";
import type { HearthContext } from "../../context.ts";
import type { JsonObject } from "../../core/json.ts";
import { forbidden, invalidParam } from "../../errors.ts";
import { authenticate } from "../../http/auth.ts";
import type { HearthEnv } from "../../http/types.ts";

/** Admin API paths; Synapse serves them under /_synapse/admin/v1 and /v2. */
export const adminV1 = (path: string): string => `/_synapse/admin/v1${path}`;
export const adminV2 = (path: string): string => `/_synapse/admin/v2${path}`;

/** Every admin route but shared-secret registration: a logged-in server admin, else 403 M_FORBIDDEN. */
export function requireAdmin(ctx: HearthContext): MiddlewareHandler<HearthEnv> {
  return async (c, next) => {
    const requester = await authenticate(ctx, c);
    if (!requester.isAdmin) throw forbidden("You are not a server admin");
    c.set("requester", requester);
    await next();
  };
}

/** The admin making the request (for the audit log and self-demotion checks). */
export const adminOf = (c: Context<HearthEnv>): string => c.get("requester").userId;

/** A path parameter, refusing NUL (PostgreSQL text cannot hold it). */
export function pathParam(c: Context, name: string): string {
  const value = c.req.param(name) as string | undefined;
  if (value === undefined) throw new Error(`route has no :${name} parameter`);
  if (value.includes("\u0000")) throw invalidParam(`'${name}' must not contain NUL`);
  return value;
}

/** A query flag written as "true" / "false"; undefined when absent. */
export function boolQuery(c: Context, name: string): boolean | undefined {
  const text = c.req.query(name);
  if (text === undefined) return undefined;
  if (text === "true") return true;
  if (text === "false") return false;
  throw invalidParam(`Query parameter ${name} must be 'true' or 'false'`);
}

/** A non-negative integer query parameter (Synapse's `from` and `limit`). */
export function countQuery(c: Context, name: string, fallback: number): number {
  const text = c.req.query(name);
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,15}$/.test(text)) {
    throw invalidParam(`Query parameter ${name} must be a string representing a positive integer.`);
  }
  return Number(text);
}

/** A string query parameter without NUL. */
export function textQuery(c: Context, name: string): string | undefined {
  const text = c.req.query(name);
  if (text !== undefined && text.includes("\u0000")) throw invalidParam(`'${name}' must not contain NUL`);
  return text;
}

/** One of the given values, or `fallback` when absent. */
export function enumQuery<T extends string>(c: Context, name: string, values: readonly T[], fallback: T): T {
  const text = c.req.query(name);
  if (text === undefined) return fallback;
  if (!(values as readonly string[]).includes(text)) {
    throw invalidParam(`Unknown value for ${name}: it must be one of ${values.join(", ")}`);
  }
  return text as T;
}

/** An integer field that may be null; undefined when absent. Anything else is M_INVALID_PARAM. */
export function intOrNullField(body: JsonObject, key: string): number | null | undefined {
  if (!Object.hasOwn(body, key)) return undefined;
  const value = body[key];
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw invalidParam(`${key} must be an integer or null`);
  }
  return value;
}

/** A boolean field with a default; anything but a boolean is M_INVALID_PARAM. */
export function boolField(body: JsonObject, key: string, fallback: boolean): boolean {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw invalidParam(`'${key}' parameter must be a boolean`);
  return value;
}
