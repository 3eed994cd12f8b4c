import type { HearthContext } from "../context.ts";
import { MatrixError } from "../errors.ts";
import { findUser, insertUser } from "../storage/accounts/users.ts";
import { setProfileField } from "../storage/profiles/profiles.ts";
import { hashPassword } from "./passwords.ts";
import { retireFirstAccountToken } from "./first-account-token.ts";
import { consumeRegistrationToken } from "./registration-tokens.ts";
import { createSessionIn, type Session, type SessionOptions } from "./session.ts";
import { generateLocalpart, userIdOf } from "./user-ids.ts";

export const userInUse = (): MatrixError => new MatrixError(400, "M_USER_IN_USE", "User ID already taken");

export interface NewAccount {
  /** A validated localpart, or undefined to generate one. */
  localpart?: string;
  /** Undefined: the account has no password (it can only log in with tokens). */
  password?: string;
  /** Accepted by user-interactive auth; counted as used once the account exists. */
  registrationToken: string | null;
  /** Log the new account in on a device; null for inhibit_login. */
  login: SessionOptions | null;
}

/** Tries for a free generated localpart: with 36^12 names a clash is a fluke, so a few tries suffice. */
const GENERATED_NAME_TRIES = 5;

/** True when the localpart is free (the availability check that runs before user-interactive auth). */
export async function isLocalpartFree(ctx: HearthContext, localpart: string): Promise<boolean> {
  return (await findUser(ctx.db, userIdOf(localpart, ctx.serverName))) === undefined;
}

/**
 * Creates the account, counts its registration token and logs it in, all in one transaction: a token
 * that ran out or a name taken in the meantime leaves nothing behind.
 */
export async function registerAccount(
  ctx: HearthContext,
  req: NewAccount,
): Promise<{ userId: string; session?: Session }> {
  const passwordHash = req.password === undefined ? null : await hashPassword(req.password);
  return ctx.db.transaction().execute(async (tx) => {
    const now = ctx.clock();
    let userId: string | undefined;
    let chosen = "";
    const candidates =
      req.localpart !== undefined
        ? [req.localpart]
        : Array.from({ length: GENERATED_NAME_TRIES }, () => generateLocalpart());
    for (const localpart of candidates) {
      const candidate = userIdOf(localpart, ctx.serverName);
      if (await insertUser(tx, { userId: candidate, passwordHash, createdTs: now })) {
        userId = candidate;
        chosen = localpart;
        break;
      }
    }
    if (userId === undefined) throw userInUse();
    // As Synapse does: clients show a name rather than a bare user id until the user picks one.
    await setProfileField(tx, userId, "displayname", chosen, now);
    if (req.registrationToken !== null && !(await consumeRegistrationToken(tx, ctx, req.registrationToken))) {
      throw new MatrixError(401, "M_UNAUTHORIZED", "The registration token is no longer valid");
    }
    await retireFirstAccountToken(tx);
    if (req.login === null) return { userId };
    return { userId, session: await createSessionIn(tx, ctx, userId, req.login) };
  });
}
