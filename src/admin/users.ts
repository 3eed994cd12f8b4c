import { deactivateAccount } from "../accounts/deactivate.ts";
import { retireFirstAccountToken } from "../accounts/first-account-token.ts";
import { removeAllDevices, removeDevices } from "../accounts/devices.ts";
import { changePassword } from "../accounts/password.ts";
import { hashPassword } from "../accounts/passwords.ts";
import { invalidUsername, localpartForUsername } from "../accounts/user-ids.ts";
import type { HearthContext } from "../context.ts";
import { domainOf } from "../core/auth/identifiers.ts";
import { invalidParam, MatrixError, notFound } from "../errors.ts";
import type { Requester } from "../http/auth.ts";
import { deleteProfile, propagateMemberProfile, setProfile } from "../profiles/profile.ts";
import { queueRoomLeaves } from "../storage/admin/pending-leaves.ts";
import {
  getAdminUser,
  listUsers,
  reactivateUser,
  setUserAdmin,
  type AdminUserRow,
  type UserQuery,
} from "../storage/admin/users.ts";
import {
  findDevice,
  listDevices,
  setDeviceDisplayName,
  type DeviceRow,
} from "../storage/accounts/devices.ts";
import { insertUser, markDeactivated } from "../storage/accounts/users.ts";
import { setProfileField, getProfile } from "../storage/profiles/profiles.ts";
import { getRoomsForUser } from "../storage/rooms/memberships.ts";
import { logAdminAction, type AdminActor } from "./audit.ts";

/** Synapse's limit on admin-set passwords. */
export const MAX_ADMIN_PASSWORD_LENGTH = 512;

/** A user id from a path or command line: well-formed and local, or the error Synapse gives. */
export function localUserId(ctx: HearthContext, raw: string): string {
  const colon = raw.indexOf(":");
  if (!raw.startsWith("@") || colon < 2 || raw.includes("\u0000")) {
    throw invalidParam(`'${raw}' is not a valid user id`);
  }
  if (domainOf(raw) !== ctx.serverName) {
    throw new MatrixError(400, "M_UNKNOWN", "Can only look up local users");
  }
  return raw;
}

export async function requireUser(ctx: HearthContext, userId: string): Promise<AdminUserRow> {
  const user = await getAdminUser(ctx.db, userId);
  if (!user) throw notFound("User not found");
  return user;
}

/**
 * Hearth keeps no separate erased flag: erasing deletes the password hash (and profile), so a
 * deactivated account without a password reads as erased.
 */
const erased = (u: AdminUserRow): boolean => u.deactivated && !u.hasPassword;

/** GET /v2/users/{userId}: Synapse's user object (creation_ts in seconds there, as Synapse stores it). */
export function userDetailsJson(u: AdminUserRow): Record<string, unknown> {
  return {
    name: u.userId,
    displayname: u.displayname,
    avatar_url: u.avatarUrl,
    threepids: [],
    external_ids: [],
    is_guest: u.isGuest,
    admin: u.isAdmin,
    deactivated: u.deactivated,
    erased: erased(u),
    shadow_banned: false,
    locked: false,
    suspended: false,
    creation_ts: Math.floor(u.createdTs / 1000),
    last_seen_ts: u.lastSeenTs,
    appservice_id: null,
    consent_server_notice_sent: null,
    consent_version: null,
    consent_ts: null,
    user_type: null,
  };
}

/** An entry of GET /v2/users (creation_ts in ms there). */
export function userListJson(u: AdminUserRow): Record<string, unknown> {
  return {
    name: u.userId,
    is_guest: u.isGuest,
    admin: u.isAdmin,
    user_type: null,
    deactivated: u.deactivated,
    erased: erased(u),
    shadow_banned: false,
    displayname: u.displayname,
    avatar_url: u.avatarUrl,
    creation_ts: u.createdTs,
    last_seen_ts: u.lastSeenTs,
    locked: false,
  };
}

export function searchUsers(ctx: HearthContext, q: UserQuery): ReturnType<typeof listUsers> {
  return listUsers(ctx.db, q);
}

/** Profile writes reuse the client API's validation, acting as the user (an admin may edit anyone). */
function actingAs(userId: string): Requester {
  return { userId, deviceId: "", isGuest: false, isAdmin: true, tokenHash: Buffer.alloc(0) };
}

/**
 * Sets or (with "") removes displayname / avatar_url. Member events in the user's rooms follow only
 * where this process writes rooms; a CLI next to a running server leaves them as they were.
 */
async function setProfileFields(
  ctx: HearthContext,
  userId: string,
  fields: { displayname?: string; avatar_url?: string },
): Promise<void> {
  let changed = false;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    changed =
      (value === ""
        ? await deleteProfile(ctx, actingAs(userId), userId, key)
        : await setProfile(ctx, actingAs(userId), userId, key, { [key]: value })) || changed;
  }
  if (!changed) return;
  if (ctx.admin.jobs.writesRooms) await propagateMemberProfile(ctx, userId);
  else ctx.log.warn({ userId }, "profile changed; member events keep the old values (a server writes rooms)");
}

export interface UserChanges {
  password?: string;
  logoutDevices: boolean;
  displayname?: string;
  avatarUrl?: string;
  admin?: boolean;
  deactivated?: boolean;
}

function checkPassword(password: string): void {
  if (password.length > MAX_ADMIN_PASSWORD_LENGTH || password.includes("\u0000")) {
    throw invalidParam("Invalid password");
  }
}

/** PUT /v2/users/{userId}: creates the account (true) or modifies it (false). */
export async function createOrModifyUser(
  ctx: HearthContext,
  actor: AdminActor,
  userId: string,
  changes: UserChanges,
): Promise<{ created: boolean; user: AdminUserRow }> {
  if (changes.password !== undefined) checkPassword(changes.password);
  const existing = await getAdminUser(ctx.db, userId);
  if (!existing) {
    const localpart = userId.slice(1, userId.indexOf(":"));
    if (localpartForUsername(localpart, ctx.serverName) !== localpart) {
      throw invalidUsername("User ids must be lower case");
    }
    const passwordHash = changes.password === undefined ? null : await hashPassword(changes.password);
    if (
      !(await insertUser(ctx.db, {
        userId,
        passwordHash,
        isAdmin: changes.admin ?? false,
        createdTs: ctx.clock(),
      }))
    ) {
      throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken");
    }
    await retireFirstAccountToken(ctx.db);
    // As Synapse does, a new account's display name defaults to its localpart.
    await setProfileField(ctx.db, userId, "displayname", changes.displayname || localpart, ctx.clock());
    if (changes.avatarUrl) await setProfileFields(ctx, userId, { avatar_url: changes.avatarUrl });
    if (changes.deactivated === true) await deactivateUser(ctx, actor, userId, { erase: false });
    logAdminAction(ctx, actor, "create_user", { userId, admin: changes.admin ?? false });
    return { created: true, user: await requireUser(ctx, userId) };
  }

  if (changes.admin === false && existing.isAdmin && actor === userId) {
    throw new MatrixError(400, "M_UNKNOWN", "You may not demote yourself.");
  }
  if (changes.deactivated === false && existing.deactivated && !existing.hasPassword && !changes.password) {
    throw new MatrixError(400, "M_UNKNOWN", "Must provide a password to re-activate an account.");
  }
  await setProfileFields(ctx, userId, { displayname: changes.displayname, avatar_url: changes.avatarUrl });
  if (changes.admin !== undefined && changes.admin !== existing.isAdmin) {
    await setUserAdmin(ctx.db, userId, changes.admin);
    ctx.accessTokens.forgetUser(userId);
  }
  if (changes.password !== undefined) {
    await changePassword(ctx, userId, changes.password, { logoutDevices: changes.logoutDevices });
  }
  if (changes.deactivated === true && !existing.deactivated) {
    await deactivateUser(ctx, actor, userId, { erase: false });
  } else if (changes.deactivated === false && existing.deactivated) {
    await reactivateUser(ctx.db, userId);
    ctx.accessTokens.forgetUser(userId);
  }
  logAdminAction(ctx, actor, "modify_user", {
    userId,
    fields: Object.keys(changes).filter((k) => changes[k as keyof UserChanges] !== undefined),
  });
  return { created: false, user: await requireUser(ctx, userId) };
}

/**
 * Deactivates (and with `erase` forgets the password and profile of) the account. Where this process
 * writes rooms the user leaves them now; otherwise the leaves are queued for the server that does.
 * Returns whether the room leaves were queued rather than done.
 */
export async function deactivateUser(
  ctx: HearthContext,
  actor: AdminActor,
  userId: string,
  opts: { erase: boolean },
): Promise<{ leavesQueued: boolean }> {
  let leavesQueued = false;
  if (ctx.admin.jobs.writesRooms) {
    await deactivateAccount(ctx, userId, opts);
  } else {
    await markDeactivated(ctx.db, userId, opts);
    ctx.accessTokens.forgetUser(userId);
    await removeAllDevices(ctx, userId);
    await queueRoomLeaves(ctx.db, userId, actor, ctx.clock());
    leavesQueued = true;
  }
  if (opts.erase) {
    for (const key of (await getProfile(ctx.db, userId)).keys()) {
      await deleteProfile(ctx, actingAs(userId), userId, key);
    }
  }
  logAdminAction(ctx, actor, "deactivate_user", { userId, erase: opts.erase, leavesQueued });
  return { leavesQueued };
}

export async function resetPassword(
  ctx: HearthContext,
  actor: AdminActor,
  userId: string,
  newPassword: string,
  logoutDevices: boolean,
): Promise<void> {
  checkPassword(newPassword);
  await requireUser(ctx, userId);
  await changePassword(ctx, userId, newPassword, { logoutDevices });
  logAdminAction(ctx, actor, "reset_password", { userId, logoutDevices });
}

export async function setAdmin(
  ctx: HearthContext,
  actor: AdminActor,
  userId: string,
  admin: boolean,
): Promise<void> {
  await requireUser(ctx, userId);
  if (!admin && actor === userId) throw new MatrixError(400, "M_UNKNOWN", "You may not demote yourself.");
  await setUserAdmin(ctx.db, userId, admin);
  ctx.accessTokens.forgetUser(userId);
  logAdminAction(ctx, actor, "set_admin", { userId, admin });
}

export async function joinedRooms(ctx: HearthContext, userId: string): Promise<string[]> {
  await requireUser(ctx, userId);
  return (await getRoomsForUser(ctx.db, userId, ["join"])).map((m) => m.roomId);
}

/** GET /v1/whois: Synapse puts every connection under one "" device. */
export async function whois(ctx: HearthContext, userId: string): Promise<Record<string, unknown>> {
  await requireUser(ctx, userId);
  const connections = (await listDevices(ctx.db, userId))
    .filter((d) => d.lastSeenTs !== null)
    .map((d) => ({ ip: d.lastSeenIp, last_seen: d.lastSeenTs, user_agent: null }));
  return { user_id: userId, devices: { "": { sessions: [{ connections }] } } };
}

/** Synapse's admin device object (display_name absent when unset). */
export function adminDeviceJson(userId: string, d: DeviceRow): Record<string, unknown> {
  return {
    device_id: d.deviceId,
    ...(d.displayName === null ? {} : { display_name: d.displayName }),
    last_seen_ip: d.lastSeenIp,
    last_seen_user_agent: null,
    last_seen_ts: d.lastSeenTs,
    user_id: userId,
    dehydrated: false,
  };
}

export async function userDevices(ctx: HearthContext, userId: string): Promise<DeviceRow[]> {
  await requireUser(ctx, userId);
  return listDevices(ctx.db, userId);
}

export async function userDevice(ctx: HearthContext, userId: string, deviceId: string): Promise<DeviceRow> {
  await requireUser(ctx, userId);
  const device = await findDevice(ctx.db, userId, deviceId);
  if (!device) throw notFound("Device not found");
  return device;
}

export async function deleteUserDevices(
  ctx: HearthContext,
  actor: AdminActor,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  await requireUser(ctx, userId);
  await removeDevices(ctx, userId, deviceIds);
  logAdminAction(ctx, actor, "delete_devices", { userId, deviceIds });
}

export async function renameUserDevice(
  ctx: HearthContext,
  actor: AdminActor,
  userId: string,
  deviceId: string,
  displayName: string | undefined,
): Promise<void> {
  await userDevice(ctx, userId, deviceId);
  if (displayName === undefined) return;
  await setDeviceDisplayName(ctx.db, userId, deviceId, displayName);
  logAdminAction(ctx, actor, "rename_device", { userId, deviceId });
}
