import { randomInt } from "node:crypto";
import { REGISTRATION_TOKEN } from "../config/validators.ts";
import type { HearthContext } from "../context.ts";
import { invalidParam, notFound } from "../errors.ts";
import {
  deleteRegistrationToken,
  getRegistrationToken,
  insertRegistrationTokenIfAbsent,
  listRegistrationTokens,
  updateRegistrationToken,
  type RegistrationTokenRow,
} from "../storage/accounts/registration-tokens.ts";
import { logAdminAction, type AdminActor } from "./audit.ts";

const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
/** Synapse's default length of a generated token. */
export const DEFAULT_TOKEN_LENGTH = 16;
/** Tries for a free random token before giving up (a clash needs a short `length`). */
const RANDOM_TRIES = 5;

/** Synapse's registration token object; Hearth counts uses at completion, so `pending` is always 0. */
export function tokenJson(t: RegistrationTokenRow): Record<string, unknown> {
  return {
    token: t.token,
    uses_allowed: t.usesAllowed,
    pending: 0,
    completed: t.completed,
    expiry_time: t.expiryTs,
  };
}

export interface NewToken {
  token?: string;
  usesAllowed: number | null;
  expiryTime: number | null;
  length: number;
}

/** Checks the fields Synapse checks: a non-negative uses_allowed, an expiry not in the past. */
export function checkTokenLimits(
  ctx: HearthContext,
  usesAllowed?: number | null,
  expiryTime?: number | null,
): void {
  if (usesAllowed != null && (!Number.isSafeInteger(usesAllowed) || usesAllowed < 0)) {
    throw invalidParam("uses_allowed must be a non-negative integer or null");
  }
  if (expiryTime != null) {
    if (!Number.isSafeInteger(expiryTime)) throw invalidParam("expiry_time must be an integer or null");
    if (expiryTime < ctx.clock()) throw invalidParam("expiry_time must not be in the past");
  }
}

export async function createRegistrationToken(
  ctx: HearthContext,
  actor: AdminActor,
  req: NewToken,
): Promise<RegistrationTokenRow> {
  checkTokenLimits(ctx, req.usesAllowed, req.expiryTime);
  if (req.token !== undefined && !REGISTRATION_TOKEN.test(req.token)) {
    throw invalidParam(
      "token must consist only of characters matched by the regex [A-Za-z0-9._~-] and be 1-64 long",
    );
  }
  if (!Number.isSafeInteger(req.length) || req.length < 1 || req.length > 64) {
    throw invalidParam("length must be an integer between 1 and 64");
  }
  const candidates =
    req.token !== undefined
      ? [req.token]
      : Array.from({ length: RANDOM_TRIES }, () =>
          Array.from({ length: req.length }, () => TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)]).join(""),
        );
  for (const token of candidates) {
    const row = { token, usesAllowed: req.usesAllowed, expiryTs: req.expiryTime, createdTs: ctx.clock() };
    if (await insertRegistrationTokenIfAbsent(ctx.db, row)) {
      logAdminAction(ctx, actor, "create_registration_token", { token, usesAllowed: req.usesAllowed });
      return { token, usesAllowed: req.usesAllowed, completed: 0, expiryTs: req.expiryTime };
    }
  }
  throw invalidParam(
    req.token !== undefined ? `Token already exists: ${req.token}` : "Could not find a free token",
  );
}

export function registrationTokens(ctx: HearthContext, valid?: boolean): Promise<RegistrationTokenRow[]> {
  return listRegistrationTokens(ctx.db, ctx.clock(), valid);
}

export async function registrationToken(ctx: HearthContext, token: string): Promise<RegistrationTokenRow> {
  const row = await getRegistrationToken(ctx.db, token);
  if (!row) throw notFound(`No such registration token: ${token}`);
  return row;
}

export async function modifyRegistrationToken(
  ctx: HearthContext,
  actor: AdminActor,
  token: string,
  change: { usesAllowed?: number | null; expiryTime?: number | null },
): Promise<RegistrationTokenRow> {
  checkTokenLimits(ctx, change.usesAllowed, change.expiryTime);
  const row = await updateRegistrationToken(ctx.db, token, {
    usesAllowed: change.usesAllowed,
    expiryTs: change.expiryTime,
  });
  if (!row) throw notFound(`No such registration token: ${token}`);
  logAdminAction(ctx, actor, "modify_registration_token", { token, ...change });
  return row;
}

export async function removeRegistrationToken(
  ctx: HearthContext,
  actor: AdminActor,
  token: string,
): Promise<void> {
  if (!(await deleteRegistrationToken(ctx.db, token))) throw notFound(`No such registration token: ${token}`);
  logAdminAction(ctx, actor, "delete_registration_token", { token });
}
