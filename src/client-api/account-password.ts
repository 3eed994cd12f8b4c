import { changePassword } from "../accounts/password.ts";
import { MAX_PASSWORD_LENGTH } from "../accounts/passwords.ts";
import { userInteractiveAuth } from "../accounts/uia.ts";
import { invalidParam } from "../errors.ts";
import { accessTokenOf, authenticate, clientIp } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import { optionalBoolean, requiredString } from "../http/fields.ts";
import type { RouteModule } from "../http/types.ts";
import { clientPaths } from "./paths.ts";

/**
 * `POST /account/password` (spec: "Password management"). The access token is optional: without one,
 * the password stage says whose password changes. The device that asked stays logged in.
 */
export const accountPasswordRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/account/password"), async (c) => {
    const requester = accessTokenOf(c) === undefined ? undefined : await authenticate(ctx, c);
    const body = await readJsonObject(c);
    const newPassword = requiredString(body, "new_password");
    const logoutDevices = optionalBoolean(body, "logout_devices") ?? true;
    if (newPassword === "") throw invalidParam("'new_password' must not be empty");
    if (newPassword.length > MAX_PASSWORD_LENGTH) throw invalidParam("Password is too long");

    const uia = await userInteractiveAuth(ctx, body.auth, {
      action: "change_password",
      flows: [["m.login.password"]],
      userId: requester?.userId,
      ip: clientIp(ctx, c),
    });
    const userId = requester?.userId ?? uia.userId;
    // Only the password stage is offered, and it always establishes the user.
    if (userId === null) throw new Error("user-interactive auth completed without a user");
    await changePassword(ctx, userId, newPassword, { logoutDevices, keepDeviceId: requester?.deviceId });
    return c.json({});
  });
};
