import type { Context } from "hono";
import { removeDevices } from "../accounts/devices.ts";
import { afterDeviceChanged } from "../accounts/hooks.ts";
import { userInteractiveAuth } from "../accounts/uia.ts";
import type { HearthContext } from "../context.ts";
import { notFound } from "../errors.ts";
import { clientIp, requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import { optionalString, requiredStringArray, textParam } from "../http/fields.ts";
import type { HearthEnv, RouteModule } from "../http/types.ts";
import {
  findDevice,
  listDevices,
  setDeviceDisplayName,
  type DeviceRow,
} from "../storage/accounts/devices.ts";
import { clientPaths } from "./paths.ts";

/** The spec's Device object: absent fields are omitted, not null. */
function deviceJson(d: DeviceRow): Record<string, string | number> {
  return {
    device_id: d.deviceId,
    ...(d.displayName === null ? {} : { display_name: d.displayName }),
    ...(d.lastSeenIp === null ? {} : { last_seen_ip: d.lastSeenIp }),
    ...(d.lastSeenTs === null ? {} : { last_seen_ts: d.lastSeenTs }),
  };
}

/** The `:deviceId` path segment (hono types it as optional on multi-path routes). */
function deviceIdParam(c: Context): string {
  const deviceId = c.req.param("deviceId");
  if (deviceId === undefined) throw new Error("route registered without :deviceId");
  return textParam(deviceId, "deviceId");
}

/** Deleting devices needs the password again: a stolen token must not be able to lock the owner out. */
async function deleteWithAuth(
  c: Context<HearthEnv>,
  ctx: HearthContext,
  action: string,
  deviceIds: readonly string[],
  auth: Parameters<typeof userInteractiveAuth>[1],
): Promise<Response> {
  const { userId } = c.get("requester");
  await userInteractiveAuth(ctx, auth, {
    action,
    flows: [["m.login.password"]],
    userId,
    ip: clientIp(ctx, c),
  });
  await removeDevices(ctx, userId, deviceIds);
  return c.json({});
}

/** Device management (spec: "Device management"): list, show, rename and delete devices. */
export const deviceRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/devices"), requireAuth(ctx), async (c) => {
    const devices = await listDevices(ctx.db, c.get("requester").userId);
    return c.json({ devices: devices.map(deviceJson) });
  });

  app.on("GET", clientPaths("/devices/:deviceId"), requireAuth(ctx), async (c) => {
    const device = await findDevice(ctx.db, c.get("requester").userId, deviceIdParam(c));
    if (!device) throw notFound("Unknown device");
    return c.json(deviceJson(device));
  });

  app.on("PUT", clientPaths("/devices/:deviceId"), requireAuth(ctx), async (c) => {
    const body = await readJsonObject(c);
    const displayName = optionalString(body, "display_name");
    const { userId } = c.get("requester");
    const deviceId = deviceIdParam(c);
    // Only application services may create devices here; for users an unknown device is a 404.
    const exists =
      displayName === undefined
        ? (await findDevice(ctx.db, userId, deviceId)) !== undefined
        : await setDeviceDisplayName(ctx.db, userId, deviceId, displayName);
    if (!exists) throw notFound("Unknown device");
    if (displayName !== undefined) await afterDeviceChanged(ctx, userId, deviceId);
    return c.json({});
  });

  app.on("DELETE", clientPaths("/devices/:deviceId"), requireAuth(ctx), async (c) => {
    const body = await readJsonObject(c, { allowEmpty: true });
    const deviceId = deviceIdParam(c);
    return deleteWithAuth(c, ctx, `delete_device:${deviceId}`, [deviceId], body.auth);
  });

  app.on("POST", clientPaths("/delete_devices"), requireAuth(ctx), async (c) => {
    const body = await readJsonObject(c);
    const devices = requiredStringArray(body, "devices");
    const action = `delete_devices:${JSON.stringify([...new Set(devices)].sort())}`;
    return deleteWithAuth(c, ctx, action, devices, body.auth);
  });
};
