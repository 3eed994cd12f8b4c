import { removeAllDevices, removeDevices } from "../accounts/devices.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { RouteModule } from "../http/types.ts";
import { clientPaths } from "./paths.ts";

/**
 * Logout (spec: "Session management"): the device goes with its tokens, as the spec asks. The body
 * may be empty, but when present it must still be a JSON object.
 */
export const logoutRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/logout"), requireAuth(ctx), async (c) => {
    await readJsonObject(c, { allowEmpty: true });
    const { userId, deviceId } = c.get("requester");
    await removeDevices(ctx, userId, [deviceId]);
    return c.json({});
  });

  app.on("POST", clientPaths("/logout/all"), requireAuth(ctx), async (c) => {
    await readJsonObject(c, { allowEmpty: true });
    await removeAllDevices(ctx, c.get("requester").userId);
    return c.json({});
  });
};
