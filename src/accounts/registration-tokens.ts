import type { HearthContext } from "../context.ts";
import type { Db } from "../storage/database.ts";
import {
  anyStoredRegistrationTokenValid,
  consumeStoredRegistrationToken,
  isStoredRegistrationTokenValid,
} from "../storage/accounts/registration-tokens.ts";

/** Tokens from the config file: unlimited and never expiring. */
function configTokens(ctx: HearthContext): Set<string> {
  const { token, tokens } = ctx.config.registration;
  return new Set(token === undefined ? tokens : [token, ...tokens]);
}

export type RegistrationMode = "open" | "token" | "closed";

/**
 * Open when enabled without tokens; token-only when enabled with config tokens, or when closed but a
 * stored token (the first-start token, or one an admin made) can still be used; otherwise closed.
 */
export async function registrationMode(ctx: HearthContext): Promise<RegistrationMode> {
  if (ctx.config.registration.enabled) return configTokens(ctx).size > 0 ? "token" : "open";
  return (await anyStoredRegistrationTokenValid(ctx.db, ctx.clock())) ? "token" : "closed";
}

export async function isRegistrationTokenValid(ctx: HearthContext, token: string): Promise<boolean> {
  if (configTokens(ctx).has(token)) return true;
  return isStoredRegistrationTokenValid(ctx.db, token, ctx.clock());
}

/**
 * Counts a completed registration against the token, inside the registration's transaction; false when
 * a limited token ran out (or expired) since its stage was accepted.
 */
export async function consumeRegistrationToken(tx: Db, ctx: HearthContext, token: string): Promise<boolean> {
  if (configTokens(ctx).has(token)) return true;
  return consumeStoredRegistrationToken(tx, token, ctx.clock());
}
