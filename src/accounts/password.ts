import type { HearthContext } from "../context.ts";
import { setPasswordHash } from "../storage/accounts/users.ts";
import { removeAllDevices } from "./devices.ts";
import { hashPassword } from "./passwords.ts";

/**
 * Sets a new password. With `logoutDevices` every other device is logged out (deleted with its tokens);
 * the device that asked, if any, keeps working, as the spec asks.
 */
export async function changePassword(
  ctx: HearthContext,
  userId: string,
  newPassword: string,
  opts: { logoutDevices: boolean; keepDeviceId?: string },
): Promise<void> {
  await setPasswordHash(ctx.db, userId, await hashPassword(newPassword));
  if (opts.logoutDevices) await removeAllDevices(ctx, userId, opts.keepDeviceId);
}
