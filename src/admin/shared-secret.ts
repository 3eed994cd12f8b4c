import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { registerAccount } from "../accounts/register.ts";
import type { Session } from "../accounts/session.ts";
import { localpartForUsername } from "../accounts/user-ids.ts";
import type { HearthContext } from "../context.ts";
import { badJson, forbidden, MatrixError } from "../errors.ts";
import { insertRegistrationNonce, takeRegistrationNonce } from "../storage/admin/nonces.ts";
import { setUserAdmin } from "../storage/admin/users.ts";
import { setProfileField } from "../storage/profiles/profiles.ts";
import { logAdminAction } from "./audit.ts";
import { MAX_ADMIN_PASSWORD_LENGTH } from "./users.ts";

/** Synapse's nonce lifetime. */
const NONCE_TIMEOUT_MS = 60_000;

const disabled = (): MatrixError =>
  new MatrixError(400, "M_UNKNOWN", "Shared secret registration is not enabled");

function secretOf(ctx: HearthContext): string {
  const secret = ctx.config.registration.shared_secret;
  if (secret === undefined) throw disabled();
  return secret;
}

export async function newRegistrationNonce(ctx: HearthContext): Promise<string> {
  secretOf(ctx);
  const nonce = randomBytes(32).toString("hex");
  await insertRegistrationNonce(ctx.db, nonce, ctx.clock());
  return nonce;
}

export interface SharedSecretRequest {
  nonce: unknown;
  username: unknown;
  password: unknown;
  admin: unknown;
  displayname: unknown;
  userType: unknown;
  mac: unknown;
}

function checkedText(value: unknown, what: string): string {
  if (value === undefined) throw badJson(`${what} must be specified`);
  if (typeof value !== "string" || value.length > MAX_ADMIN_PASSWORD_LENGTH || value.includes("\u0000")) {
    throw new MatrixError(400, "M_UNKNOWN", `Invalid ${what}`);
  }
  return value;
}

/**
 * POST /_synapse/admin/v1/register: the MAC is HMAC-SHA1, keyed with the shared secret, over
 * nonce NUL username NUL password NUL ("admin" | "notadmin"). The nonce is spent whatever happens.
 */
export async function registerWithSharedSecret(
  ctx: HearthContext,
  req: SharedSecretRequest,
): Promise<Session> {
  const secret = secretOf(ctx);
  if (req.nonce === undefined) throw badJson("nonce must be specified");
  if (typeof req.nonce !== "string" || req.nonce.includes("\u0000"))
    throw new MatrixError(400, "M_UNKNOWN", "unrecognised nonce");
  if (!(await takeRegistrationNonce(ctx.db, req.nonce, ctx.clock() - NONCE_TIMEOUT_MS))) {
    throw new MatrixError(400, "M_UNKNOWN", "unrecognised nonce");
  }
  const username = checkedText(req.username, "username");
  const password = checkedText(req.password, "password");
  if (req.userType !== undefined && req.userType !== null)
    throw new MatrixError(400, "M_UNKNOWN", "Invalid user type");
  if (req.displayname !== undefined && req.displayname !== null && typeof req.displayname !== "string") {
    throw badJson("displayname must be a string");
  }
  if (req.mac === undefined) throw badJson("mac must be specified");
  const admin = req.admin === true;
  const want = createHmac("sha1", secret)
    .update(`${req.nonce}\u0000${username}\u0000${password}\u0000${admin ? "admin" : "notadmin"}`, "utf8")
    .digest("hex");
  const got = typeof req.mac === "string" ? Buffer.from(req.mac, "utf8") : Buffer.alloc(0);
  if (got.length !== want.length || !timingSafeEqual(got, Buffer.from(want, "utf8"))) {
    throw forbidden("HMAC incorrect");
  }
  const localpart = localpartForUsername(username, ctx.serverName);
  const { userId, session } = await registerAccount(ctx, {
    localpart,
    password,
    registrationToken: null,
    login: {},
  });
  if (admin) await setUserAdmin(ctx.db, userId, true);
  const displayname =
    typeof req.displayname === "string" && req.displayname !== "" ? req.displayname : localpart;
  await setProfileField(ctx.db, userId, "displayname", displayname, ctx.clock());
  logAdminAction(ctx, "shared-secret", "register_user", { userId, admin });
  if (!session) throw new Error("registration with login returned no session");
  return session;
}
