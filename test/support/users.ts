import { hashPassword } from "../../src/accounts/passwords.ts";
import { startSession, type Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { insertUser } from "../../src/storage/accounts/users.ts";

/**
 * A local user with a logged-in device, made directly through storage so tests of other areas do not
 * depend on the registration flow. Give a `password` when the test needs user-interactive auth
 * (m.login.password) or password login; without one the account has none.
 */
export async function createTestUser(
  hs: Homeserver,
  localpart: string,
  opts: { isAdmin?: boolean; deviceId?: string; password?: string } = {},
): Promise<Session> {
  const userId = `@${localpart}:${hs.ctx.serverName}`;
  await insertUser(hs.ctx.db, {
    userId,
    passwordHash: opts.password === undefined ? null : await hashPassword(opts.password),
    isAdmin: opts.isAdmin,
    createdTs: hs.ctx.clock(),
  });
  return startSession(hs.ctx, userId, { deviceId: opts.deviceId });
}

export function bearer(session: Session): { authorization: string } {
  return { authorization: `Bearer ${session.accessToken}` };
}
