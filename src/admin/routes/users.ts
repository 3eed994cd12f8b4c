import type { JsonObject } from "../../core/json.ts";
import { invalidParam } from "../../errors.ts";
import { readJsonObject } from "../../http/body.ts";
import { optionalString, requiredString, requiredStringArray } from "../../http/fields.ts";
import type { RouteModule } from "../../http/types.ts";
import type { UserOrder } from "../../storage/admin/users.ts";
import {
  adminDeviceJson,
  createOrModifyUser,
  deactivateUser,
  deleteUserDevices,
  joinedRooms,
  localUserId,
  renameUserDevice,
  requireUser,
  resetPassword,
  searchUsers,
  setAdmin,
  userDetailsJson,
  userDevice,
  userDevices,
  userListJson,
  whois,
} from "../users.ts";
import {
  adminOf,
  adminV1,
  adminV2,
  boolField,
  boolQuery,
  countQuery,
  enumQuery,
  pathParam,
  requireAdmin,
  textQuery,
} from "./common.ts";

const USER_ORDERS: readonly UserOrder[] = [
  "name",
  "is_guest",
  "admin",
  "deactivated",
  "displayname",
  "avatar_url",
  "creation_ts",
  "last_seen_ts",
];

/** Fields Hearth has no storage for: refused rather than silently dropped, unless empty or unset. */
function refuseUnsupported(body: JsonObject): void {
  for (const key of ["threepids", "external_ids"]) {
    const value = body[key];
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) {
      throw invalidParam(`${key} are not supported by this server`);
    }
  }
  if (body.user_type !== undefined && body.user_type !== null) throw invalidParam("Invalid user type");
  if (body.locked === true) throw invalidParam("Locking accounts is not supported by this server");
}

/** Booleans in a user body; Synapse refuses anything else with M_INVALID_PARAM. */
function optionalFlag(body: JsonObject, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw invalidParam(`'${key}' parameter is not of type boolean`);
  return value;
}

/** Users (Synapse's user_admin_api): list, show, create/modify, deactivate, passwords, devices. */
export const adminUserRoutes: RouteModule = (app, ctx) => {
  const admin = requireAdmin(ctx);
  const userParam = (c: Parameters<typeof pathParam>[0]): string => localUserId(ctx, pathParam(c, "userId"));

  app.get(adminV2("/users"), admin, async (c) => {
    const from = countQuery(c, "from", 0);
    const limit = countQuery(c, "limit", 100);
    const { users, total } = await searchUsers(ctx, {
      userIdContains: textQuery(c, "user_id"),
      nameContains: textQuery(c, "name"),
      guests: boolQuery(c, "guests") ?? true,
      deactivated: boolQuery(c, "deactivated") ?? false,
      admins: boolQuery(c, "admins"),
      orderBy: enumQuery(c, "order_by", USER_ORDERS, "name"),
      backwards: enumQuery(c, "dir", ["f", "b"], "f") === "b",
      from,
      limit,
    });
    const next = from + users.length;
    return c.json({
      users: users.map(userListJson),
      total,
      ...(next < total && users.length > 0 ? { next_token: String(next) } : {}),
    });
  });

  app.get(adminV2("/users/:userId"), admin, async (c) =>
    c.json(userDetailsJson(await requireUser(ctx, userParam(c)))),
  );

  app.put(adminV2("/users/:userId"), admin, async (c) => {
    const userId = userParam(c);
    const body = await readJsonObject(c);
    refuseUnsupported(body);
    const { created, user } = await createOrModifyUser(ctx, adminOf(c), userId, {
      password: optionalString(body, "password"),
      logoutDevices: boolField(body, "logout_devices", true),
      displayname: optionalString(body, "displayname"),
      avatarUrl: optionalString(body, "avatar_url"),
      admin: optionalFlag(body, "admin"),
      deactivated: optionalFlag(body, "deactivated"),
    });
    return c.json(userDetailsJson(user), created ? 201 : 200);
  });

  app.post(adminV1("/deactivate/:userId"), admin, async (c) => {
    const userId = userParam(c);
    const body = await readJsonObject(c, { allowEmpty: true });
    await requireUser(ctx, userId);
    await deactivateUser(ctx, adminOf(c), userId, { erase: boolField(body, "erase", false) });
    return c.json({ id_server_unbind_result: "success" });
  });

  app.post(adminV1("/reset_password/:userId"), admin, async (c) => {
    const userId = userParam(c);
    const body = await readJsonObject(c);
    const password = requiredString(body, "new_password");
    await resetPassword(ctx, adminOf(c), userId, password, boolField(body, "logout_devices", true));
    return c.json({});
  });

  app.get(adminV1("/users/:userId/admin"), admin, async (c) => {
    const user = await requireUser(ctx, userParam(c));
    return c.json({ admin: user.isAdmin });
  });

  app.put(adminV1("/users/:userId/admin"), admin, async (c) => {
    const userId = userParam(c);
    const body = await readJsonObject(c);
    const flag = optionalFlag(body, "admin");
    if (flag === undefined) throw invalidParam("Missing 'admin'");
    await setAdmin(ctx, adminOf(c), userId, flag);
    return c.json({});
  });

  app.get(adminV1("/users/:userId/joined_rooms"), admin, async (c) => {
    const rooms = await joinedRooms(ctx, userParam(c));
    return c.json({ joined_rooms: rooms, total: rooms.length });
  });

  app.get(adminV1("/whois/:userId"), admin, async (c) => c.json(await whois(ctx, userParam(c))));

  app.get(adminV2("/users/:userId/devices"), admin, async (c) => {
    const userId = userParam(c);
    const devices = await userDevices(ctx, userId);
    return c.json({ devices: devices.map((d) => adminDeviceJson(userId, d)), total: devices.length });
  });

  app.post(adminV2("/users/:userId/delete_devices"), admin, async (c) => {
    const userId = userParam(c);
    const body = await readJsonObject(c);
    await deleteUserDevices(ctx, adminOf(c), userId, requiredStringArray(body, "devices"));
    return c.json({});
  });

  app.get(adminV2("/users/:userId/devices/:deviceId"), admin, async (c) => {
    const userId = userParam(c);
    return c.json(adminDeviceJson(userId, await userDevice(ctx, userId, pathParam(c, "deviceId"))));
  });

  app.put(adminV2("/users/:userId/devices/:deviceId"), admin, async (c) => {
    const userId = userParam(c);
    const deviceId = pathParam(c, "deviceId");
    const body = await readJsonObject(c);
    await renameUserDevice(ctx, adminOf(c), userId, deviceId, optionalString(body, "display_name"));
    return c.json({});
  });

  app.delete(adminV2("/users/:userId/devices/:deviceId"), admin, async (c) => {
    const userId = userParam(c);
    await deleteUserDevices(ctx, adminOf(c), userId, [pathParam(c, "deviceId")]);
    return c.json({});
  });
};
