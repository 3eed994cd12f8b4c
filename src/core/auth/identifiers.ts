/**
 * Identifier helpers for the auth rules. These are deliberately lenient: rooms created long ago carry
 * user ids from the historical grammar (any localpart without `:` or NUL), and rejecting an event that
 * every other server accepts would fork the room's state.
 */

/** The server name part of `@user:server`, `!room:server` or `$event:server` (everything after the first `:`). */
export function domainOf(id: string): string | undefined {
  const i = id.indexOf(":");
  if (i < 0 || i === id.length - 1) return undefined;
  return id.slice(i + 1);
}

/**
 * A user id as the auth rules understand "valid user ID": `@`, a localpart from the historical grammar
 * (no `:` and no NUL, possibly empty), `:`, and a non-empty server name.
 */
export function isValidUserId(value: unknown): value is string {
  if (typeof value !== "string" || !value.startsWith("@") || value.includes("\u0000")) return false;
  return domainOf(value) !== undefined;
}
