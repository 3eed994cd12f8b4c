import type { HearthContext } from "../context.ts";
import { deleteAllDevices, deleteDevices } from "../storage/accounts/devices.ts";
import { afterDevicesDeleted } from "./hooks.ts";

/** Deletes some of a user's devices with their tokens; unknown ids are ignored (already deleted). */
export async function removeDevices(
  ctx: HearthContext,
  userId: string,
  deviceIds: readonly string[],
): Promise<void> {
  const deleted = await deleteDevices(ctx.db, userId, [...new Set(deviceIds)]);
  ctx.accessTokens.forgetUser(userId);
  if (deleted.length > 0) await afterDevicesDeleted(ctx, userId, deleted);
}

/** Deletes every device of the user except `keep`, with their tokens. */
export async function removeAllDevices(ctx: HearthContext, userId: string, keep?: string): Promise<void> {
  const deleted = await deleteAllDevices(ctx.db, userId, keep);
  ctx.accessTokens.forgetUser(userId);
  if (deleted.length > 0) await afterDevicesDeleted(ctx, userId, deleted);
}
