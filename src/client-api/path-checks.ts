import type { Context } from "hono";
import { forbidden, invalidParam } from "../errors.ts";
import type { Requester } from "../http/auth.ts";

/**
 * A path parameter, decoded. Routes registered for several paths at once lose hono's typing of their
 * parameters, so this reads them by name; a route always defines the names it reads.
 */
export function pathParam(c: Context, name: string): string {
  const value = c.req.param(name) as string | undefined;
  if (value === undefined) throw new Error(`route has no :${name} parameter`);
  return value;
}

/** Endpoints under /user/{userId}/… act only for the caller (spec: 403 M_FORBIDDEN otherwise). */
export function requireSelf(requester: Requester, userId: string, what: string): void {
  if (userId !== requester.userId) throw forbidden(`Cannot ${what} for other users.`);
}

/** Room ids are `!opaque:server` (or `!hash` from v12 on), at most 255 bytes. */
export function requireRoomId(roomId: string): void {
  if (!roomId.startsWith("!") || roomId.length < 2 || Buffer.byteLength(roomId) > 255) {
    throw invalidParam(`${JSON.stringify(roomId)} is not a valid room ID.`);
  }
}
