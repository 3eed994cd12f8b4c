import { randomBytes } from "node:crypto";
import type { HearthContext } from "../context.ts";
import { anyUserExists } from "../storage/accounts/users.ts";
import type { Db } from "../storage/database.ts";
import {
  deleteRegistrationToken,
  insertRegistrationToken,
  isStoredRegistrationTokenValid,
} from "../storage/accounts/registration-tokens.ts";
import { deleteInstanceMeta, getInstanceMeta, setInstanceMeta } from "../storage/instance-meta.ts";

const META_KEY = "first_account_registration_token";

/**
 * With registration closed and no token configured, a fresh server would have no way to get its first
 * account. Until one exists, keep a single-use registration token (printed at start) so the operator
 * can register from any client. Returns it, or undefined when it is not needed.
 */
export async function ensureFirstAccountToken(ctx: HearthContext): Promise<string | undefined> {
  const reg = ctx.config.registration;
  if (reg.enabled || reg.token !== undefined || reg.tokens.length > 0) return undefined;
  if (await anyUserExists(ctx.db)) return undefined;
  const now = ctx.clock();
  const existing = await getInstanceMeta(ctx.db, META_KEY);
  if (typeof existing === "string" && (await isStoredRegistrationTokenValid(ctx.db, existing, now))) {
    return existing;
  }
  const token = randomBytes(18).toString("base64url");
  await insertRegistrationToken(ctx.db, { token, usesAllowed: 1, expiryTs: null, createdTs: now });
  await setInstanceMeta(ctx.db, META_KEY, token);
  return token;
}

/**
 * Called in the transaction that creates any account: the first-account token exists only to get the
 * first account made, so once one exists by whatever path (admin API, CLI, shared secret, another
 * token) the printed token must stop working rather than let a second stranger register.
 */
export async function retireFirstAccountToken(db: Db): Promise<void> {
  const token = await getInstanceMeta(db, META_KEY);
  if (typeof token !== "string") return;
  await deleteRegistrationToken(db, token);
  await deleteInstanceMeta(db, META_KEY);
}
