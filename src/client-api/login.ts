import type { Context } from "hono";
import { invalidLogin, requiredLoginUserOf } from "../accounts/identifier.ts";
import { authenticateLoginToken, authenticatePassword, issueLoginToken } from "../accounts/login.ts";
import { MAX_PASSWORD_LENGTH } from "../accounts/passwords.ts";
import { accountKey, enforce, ipKey } from "../accounts/rate-limits.ts";
import { afterDeviceChanged } from "../accounts/hooks.ts";
import { startSession } from "../accounts/session.ts";
import { userInteractiveAuth } from "../accounts/uia.ts";
import { localUserIdFromLogin } from "../accounts/user-ids.ts";
import type { HearthContext } from "../context.ts";
import { MatrixError } from "../errors.ts";
import { clientIp, requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import { optionalBoolean, optionalString, requiredString } from "../http/fields.ts";
import type { HearthEnv, RouteModule } from "../http/types.ts";
import { validDeviceId } from "./device-id.ts";
import { clientPaths, clientV1Paths } from "./paths.ts";
import { sessionResponse } from "./session-response.ts";

async function login(c: Context, ctx: HearthContext): Promise<Response> {
  const body = await readJsonObject(c);
  const type = requiredString(body, "type");
  const deviceId = optionalString(body, "device_id");
  const displayName = optionalString(body, "initial_device_display_name");
  const refreshable = optionalBoolean(body, "refresh_token") ?? false;
  if (deviceId !== undefined) validDeviceId(deviceId);
  const ip = clientIp(ctx, c);

  let userId: string;
  switch (type) {
    case "m.login.password": {
      const user = requiredLoginUserOf(body);
      const password = requiredString(body, "password");
      enforce(ctx.rateLimits.login.take(ipKey(ip)));
      enforce(ctx.rateLimits.login.take(accountKey(localUserIdFromLogin(user, ctx.serverName) ?? user)));
      if (password.length > MAX_PASSWORD_LENGTH) throw invalidLogin();
      userId = await authenticatePassword(ctx, user, password);
      break;
    }
    case "m.login.token": {
      const token = requiredString(body, "token");
      enforce(ctx.rateLimits.login.take(ipKey(ip)));
      userId = await authenticateLoginToken(ctx, token);
      break;
    }
    default:
      throw new MatrixError(400, "M_UNKNOWN", `Unknown login type ${JSON.stringify(type)}`);
  }
  const session = await startSession(ctx, userId, { deviceId, displayName, refreshable });
  await afterDeviceChanged(ctx, userId, session.deviceId);
  return c.json({ ...sessionResponse(session), home_server: ctx.serverName });
}

/** Login (spec: "Login"): the flows, password and token logins, and `POST /login/get_token`. */
export const loginRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/login"), (c) =>
    c.json({ flows: [{ type: "m.login.password" }, { type: "m.login.token", get_login_token: true }] }),
  );

  app.on("POST", clientPaths("/login"), (c) => login(c, ctx));

  app.on("POST", clientV1Paths("/login/get_token"), requireAuth(ctx), async (c: Context<HearthEnv>) => {
    const requester = c.get("requester");
    const body = await readJsonObject(c);
    // The spec wants consent for every new client: a fresh password stage each time, never remembered.
    await userInteractiveAuth(ctx, body.auth, {
      action: "get_login_token",
      flows: [["m.login.password"]],
      userId: requester.userId,
      ip: clientIp(ctx, c),
    });
    const { loginToken, expiresInMs } = await issueLoginToken(ctx, requester.userId);
    return c.json({ login_token: loginToken, expires_in_ms: expiresInMs });
  });
};
