import type { HearthContext } from "../context.ts";
import { recordDeviceListChange } from "../e2ee/device-lists.ts";
import { leaveAllRooms } from "../rooms/leave-all.ts";

/*
 * Points where other areas plug into account changes. Accounts own users, devices and tokens; what
 * hangs off them elsewhere (room memberships, E2EE keys, to-device queues) is cleaned up by the owners
 * of those areas here, so account code never reaches into their tables.
 */

/**
 * Called after an account was deactivated (its devices and tokens are already gone). Owner: rooms.
 * Deactivated users leave every room they are joined to, reject their invites and retract their
 * knocks, through the room writer like any other membership change.
 */
export async function leaveAllRoomsAfterDeactivation(ctx: HearthContext, userId: string): Promise<void> {
  await leaveAllRooms(ctx, userId);
}

/**
 * Called after devices were deleted (logout, device deletion, password change, deactivation).
 * Owner: E2EE. Their device keys, one-time and fallback keys and queued to-device messages went with
 * the device rows (foreign keys cascade, in the same statement); what is left is telling the users who
 * share a room, through the device_lists stream.
 */
export async function afterDevicesDeleted(
  ctx: HearthContext,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  await recordDeviceListChange(ctx, userId, deviceIds);
}

/**
 * Called after a device was added by a login (or an existing one reused) or renamed. Owner: E2EE.
 * Users sharing a room see the change in device_lists (display names travel with device lists).
 */
export async function afterDeviceChanged(
  ctx: HearthContext,
  userId: string,
  deviceId: string,
): Promise<void> {
  await recordDeviceListChange(ctx, userId, [deviceId]);
}
