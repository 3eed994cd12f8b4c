import type { Context } from "hono";
import { invalidParam } from "../errors.ts";

/*
 * Query and path parameters of the room read endpoints. Malformed input is 400 M_INVALID_PARAM naming
 * the parameter, never a 500.
 */

/**
 * A path parameter as hono decoded it; every route reading one declares it. NUL is refused here:
 * PostgreSQL text cannot hold it, and no Matrix identifier contains it.
 */
export function routeParam(c: Context, name: string): string {
  const value = c.req.param(name) as string | undefined;
  if (value === undefined) throw new Error(`route has no :${name} parameter`);
  if (value.includes("\u0000")) throw invalidParam(`'${name}' must not contain NUL`);
  return value;
}

/** Whether a JSON value holds a NUL anywhere (keys included), which PostgreSQL text and jsonb refuse. */
export function containsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(containsNul);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).some(([k, v]) => k.includes("\u0000") || containsNul(v));
  }
  return false;
}

const INTEGER = /^-?[0-9]{1,16}$/;

/** An integer query parameter, clamped to `max` (large limits are capped, not refused). */
export function intQuery(
  c: Context,
  name: string,
  opts: { default: number; min: number; max: number },
): number {
  const text = c.req.query(name);
  if (text === undefined || text === "") return opts.default;
  if (!INTEGER.test(text)) throw invalidParam(`'${name}' must be an integer`);
  const n = Number(text);
  if (n < opts.min) throw invalidParam(`'${name}' must be at least ${opts.min}`);
  return Math.min(n, opts.max);
}

export function dirQuery(c: Context, opts: { required: boolean }): "f" | "b" {
  const dir = c.req.query("dir");
  if (dir === undefined && !opts.required) return "b";
  if (dir !== "f" && dir !== "b") throw invalidParam("'dir' must be 'b' or 'f'");
  return dir;
}

export function boolQuery(c: Context, name: string): boolean | undefined {
  const text = c.req.query(name);
  if (text === undefined) return undefined;
  if (text === "true") return true;
  if (text === "false") return false;
  throw invalidParam(`'${name}' must be 'true' or 'false'`);
}

const ID_MAX_BYTES = 255;

/** `!opaque:server`, or `!hash` from room version 12 on. */
export function roomIdParam(c: Context, name = "roomId"): string {
  const id = routeParam(c, name);
  if (!id.startsWith("!") || id.length < 2 || Buffer.byteLength(id) > ID_MAX_BYTES) {
    throw invalidParam(`'${name}' is not a valid room ID`);
  }
  return id;
}

export function eventIdParam(c: Context, name = "eventId"): string {
  const id = routeParam(c, name);
  if (!id.startsWith("$") || id.length < 2 || Buffer.byteLength(id) > ID_MAX_BYTES) {
    throw invalidParam(`'${name}' is not a valid event ID`);
  }
  return id;
}
