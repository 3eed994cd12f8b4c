import type { HearthContext } from "../context.ts";
import type { Db } from "../storage/database.ts";
import {
  consumeStoredRegistrationToken,
  isStoredRegistrationTokenValid,
} from "../storage/accounts/registration-tokens.ts";

/** Tokens from the config file: unlimited and never expiring. */
function configTokens(ctx: HearthContext): Set<string> {
  const { token, tokens } = ctx.config.registration;
  return new Set(token === undefined ? tokens : [token, ...tokens]);
}

/** Registration needs a token exactly when the config names at least one. */
export function registrationRequiresToken(ctx: HearthContext): boolean {
  return configTokens(ctx).size > 0;
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
