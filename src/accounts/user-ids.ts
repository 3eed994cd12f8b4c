import { randomBytes } from "node:crypto";
import { MatrixError } from "../errors.ts";

/** Localparts Hearth creates: the spec's grammar for new user ids (historical ids may contain more). */
const NEW_LOCALPART = /^[a-z0-9._=\-/+]+$/;

/** User ids are at most 255 bytes, sigil and server name included. */
const MAX_USER_ID_BYTES = 255;

export const invalidUsername = (message: string): MatrixError =>
  new MatrixError(400, "M_INVALID_USERNAME", message);

export function userIdOf(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}

/**
 * The localpart a requested username becomes: lower-cased (the spec asks servers to map names onto the
 * grammar, and clients type "Alice"), then checked. Anything else is M_INVALID_USERNAME, never mangled.
 */
export function localpartForUsername(username: string, serverName: string): string {
  const localpart = username.toLowerCase();
  if (localpart === "") throw invalidUsername("User name must not be empty");
  if (!NEW_LOCALPART.test(localpart)) {
    throw invalidUsername("User name may only contain a-z, 0-9, '.', '_', '=', '-', '/' and '+'");
  }
  if (Buffer.byteLength(userIdOf(localpart, serverName), "utf8") > MAX_USER_ID_BYTES) {
    throw invalidUsername("User name is too long");
  }
  return localpart;
}

/** A random localpart for registrations without a username: 12 characters of [a-z0-9]. */
export function generateLocalpart(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join("");
}

/**
 * The local user id a login names, from a localpart or a full id (localpart lower-cased, as registration
 * stores it); undefined when it cannot be one of ours (another server, malformed).
 */
export function localUserIdFromLogin(user: string, serverName: string): string | undefined {
  if (!user.startsWith("@")) {
    if (user === "" || user.includes(":")) return undefined;
    return userIdOf(user.toLowerCase(), serverName);
  }
  const colon = user.indexOf(":");
  if (colon < 2) return undefined;
  if (user.slice(colon + 1) !== serverName) return undefined;
  return userIdOf(user.slice(1, colon).toLowerCase(), serverName);
}
