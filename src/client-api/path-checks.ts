import { forbidden, invalidParam } from "../errors.ts";
import type { Requester } from "../http/auth.ts";

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
