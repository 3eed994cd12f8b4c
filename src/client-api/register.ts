import type { Context } from "hono";
import { MatrixError, forbidden, invalidParam, missingParam } from "../errors.ts";
import { MAX_PASSWORD_LENGTH } from "../accounts/passwords.ts";
import { enforce, ipKey } from "../accounts/rate-limits.ts";
import { isLocalpartFree, registerAccount, userInUse } from "../accounts/register.ts";
import {
  isRegistrationTokenValid,
  registrationMode,
  type RegistrationMode,
} from "../accounts/registration-tokens.ts";
import { userInteractiveAuth, type UiaStage } from "../accounts/uia.ts";
import { localpartForUsername } from "../accounts/user-ids.ts";
import { REGISTRATION_TOKEN } from "../config/validators.ts";
import type { HearthContext } from "../context.ts";
import { clientIp } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import { optionalBoolean, optionalString } from "../http/fields.ts";
import type { RouteModule } from "../http/types.ts";
import { sessionResponse } from "./session-response.ts";
import { clientPaths, clientV1Paths } from "./paths.ts";
import { validDeviceId } from "./device-id.ts";

const registrationDisabled = (): MatrixError => forbidden("Registration is disabled on this homeserver");

/** The mode, refusing when registration is closed. */
async function openMode(ctx: HearthContext): Promise<Exclude<RegistrationMode, "closed">> {
  const mode = await registrationMode(ctx);
  if (mode === "closed") throw registrationDisabled();
  return mode;
}

function registrationFlows(mode: Exclude<RegistrationMode, "closed">): UiaStage[][] {
  return mode === "token" ? [["m.login.registration_token"]] : [["m.login.dummy"]];
}

/** The localpart asked for, checked and free: done on every call, before user-interactive auth. */
async function requestedLocalpart(
  ctx: HearthContext,
  username: string | undefined,
): Promise<string | undefined> {
  if (username === undefined) return undefined;
  const localpart = localpartForUsername(username, ctx.serverName);
  if (!(await isLocalpartFree(ctx, localpart))) throw userInUse();
  return localpart;
}

async function register(c: Context, ctx: HearthContext): Promise<Response> {
  const kind = c.req.query("kind") ?? "user";
  if (kind === "guest") {
    throw new MatrixError(
      403,
      "M_GUEST_ACCESS_FORBIDDEN",
      "Guest accounts are not available on this homeserver",
    );
  }
  if (kind !== "user") throw invalidParam("'kind' must be 'user' or 'guest'");
  const mode = await openMode(ctx);

  const body = await readJsonObject(c);
  const username = optionalString(body, "username");
  const password = optionalString(body, "password");
  const deviceId = optionalString(body, "device_id");
  const displayName = optionalString(body, "initial_device_display_name");
  const inhibitLogin = optionalBoolean(body, "inhibit_login") ?? false;
  const refreshable = optionalBoolean(body, "refresh_token") ?? false;
  if (password !== undefined && password.length > MAX_PASSWORD_LENGTH)
    throw invalidParam("Password is too long");
  if (deviceId !== undefined) validDeviceId(deviceId);

  const localpart = await requestedLocalpart(ctx, username);
  const ip = clientIp(ctx, c);
  // Checked without spending here; a token is spent only when an account is actually created.
  enforce(ctx.rateLimits.registration.peek(ipKey(ip)));

  const uia = await userInteractiveAuth(ctx, body.auth, {
    action: "register",
    flows: registrationFlows(mode),
    ip,
  });
  enforce(ctx.rateLimits.registration.take(ipKey(ip)));
  const { userId, session } = await registerAccount(ctx, {
    localpart,
    password,
    registrationToken: uia.registrationToken,
    login: inhibitLogin ? null : { deviceId, displayName, refreshable },
  });
  return c.json({
    user_id: userId,
    home_server: ctx.serverName,
    ...(session ? sessionResponse(session) : {}),
  });
}

/**
 * Registration (spec: "Account registration"): `POST /register` behind user-interactive auth, the
 * username check, and the registration token check. Guests are refused (M_GUEST_ACCESS_FORBIDDEN).
 */
export const registerRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/register"), (c) => register(c, ctx));

  app.on("GET", clientPaths("/register/available"), async (c) => {
    // Without sign-ups the answer would only serve to enumerate accounts.
    await openMode(ctx);
    const username = c.req.query("username");
    if (username === undefined) throw missingParam("Missing 'username'");
    enforce(ctx.rateLimits.lookups.take(ipKey(clientIp(ctx, c))));
    await requestedLocalpart(ctx, username);
    return c.json({ available: true });
  });

  app.on("GET", clientV1Paths("/register/m.login.registration_token/validity"), async (c) => {
    await openMode(ctx);
    const token = c.req.query("token");
    if (token === undefined) throw missingParam("Missing 'token'");
    enforce(ctx.rateLimits.lookups.take(ipKey(clientIp(ctx, c))));
    // Outside the token grammar nothing can be valid; no need to ask the database.
    const valid = REGISTRATION_TOKEN.test(token) && (await isRegistrationTokenValid(ctx, token));
    return c.json({ valid });
  });
};
