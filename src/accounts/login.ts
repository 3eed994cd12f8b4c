import type { HearthContext } from "../context.ts";
import { MatrixError, forbidden } from "../errors.ts";
import {
  consumeLoginToken,
  deleteExpiredLoginTokens,
  insertLoginToken,
} from "../storage/accounts/login-tokens.ts";
import { findUser } from "../storage/accounts/users.ts";
import { invalidLogin } from "./identifier.ts";
import { verifyPassword } from "./passwords.ts";
import { hashToken, newLoginToken } from "./tokens.ts";
import { localUserIdFromLogin } from "./user-ids.ts";

export const userDeactivated = (): MatrixError =>
  new MatrixError(403, "M_USER_DEACTIVATED", "This account has been deactivated");

/**
 * The user a password login authenticates. Unknown users, remote ids and wrong passwords all get the same
 * 403 after the same amount of work; a deactivated account is only revealed to someone who knows its
 * password.
 */
export async function authenticatePassword(
  ctx: HearthContext,
  user: string,
  password: string,
): Promise<string> {
  const userId = localUserIdFromLogin(user, ctx.serverName);
  const row = userId === undefined ? undefined : await findUser(ctx.db, userId);
  const ok = await verifyPassword(row?.passwordHash ?? null, password);
  if (!row || !ok) throw invalidLogin();
  if (row.deactivated) throw userDeactivated();
  return row.userId;
}

/** The user an m.login.token login authenticates; the token is used up either way. */
export async function authenticateLoginToken(ctx: HearthContext, token: string): Promise<string> {
  const userId = await consumeLoginToken(ctx.db, hashToken(token), ctx.clock());
  if (userId === undefined) throw forbidden("Invalid or expired login token");
  const row = await findUser(ctx.db, userId);
  if (!row) throw forbidden("Invalid or expired login token");
  if (row.deactivated) throw userDeactivated();
  return userId;
}

/** A single-use, short-lived login token for the user (POST /login/get_token). */
export async function issueLoginToken(
  ctx: HearthContext,
  userId: string,
): Promise<{ loginToken: string; expiresInMs: number }> {
  const now = ctx.clock();
  const expiresInMs = ctx.config.auth.login_token_lifetime_ms;
  const loginToken = newLoginToken();
  // Unused tokens would otherwise pile up; issuing is rare, so tidy here.
  await deleteExpiredLoginTokens(ctx.db, now);
  await insertLoginToken(ctx.db, {
    tokenHash: hashToken(loginToken),
    userId,
    createdTs: now,
    expiresTs: now + expiresInMs,
  });
  return { loginToken, expiresInMs };
}
