import { deactivateAccount } from "../accounts/deactivate.ts";
import { userInteractiveAuth } from "../accounts/uia.ts";
import { accessTokenOf, authenticate, clientIp } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import { optionalBoolean, optionalString } from "../http/fields.ts";
import type { RouteModule } from "../http/types.ts";
import { clientPaths } from "./paths.ts";

/**
 * `POST /account/deactivate` (spec: "Account deactivation"). Hearth binds no 3PIDs to identity servers,
 * so unbinding always "succeeds". The access token is optional, as for password changes.
 */
export const accountDeactivateRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/account/deactivate"), async (c) => {
    const requester = accessTokenOf(c) === undefined ? undefined : await authenticate(ctx, c);
    const body = await readJsonObject(c);
    const erase = optionalBoolean(body, "erase") ?? false;
    optionalString(body, "id_server"); // type-checked only: there is nothing to unbind

    const uia = await userInteractiveAuth(ctx, body.auth, {
      action: "deactivate",
      flows: [["m.login.password"]],
      userId: requester?.userId,
      ip: clientIp(ctx, c),
    });
    const userId = requester?.userId ?? uia.userId;
    // Only the password stage is offered, and it always establishes the user.
    if (userId === null) throw new Error("user-interactive auth completed without a user");
    await deactivateAccount(ctx, userId, { erase });
    return c.json({ id_server_unbind_result: "success" });
  });
};
