import type { HearthContext } from "../context.ts";
import { markDeactivated } from "../storage/accounts/users.ts";
import { removeAllDevices } from "./devices.ts";
import { leaveAllRoomsAfterDeactivation } from "./hooks.ts";

/**
 * Deactivates an account for good: it can no longer log in, every device and token goes, and its id
 * stays reserved. `erase` also forgets the password hash. Leaving rooms is the rooms engine's part,
 * through the hook.
 */
export async function deactivateAccount(
  ctx: HearthContext,
  userId: string,
  opts: { erase: boolean },
): Promise<void> {
  await markDeactivated(ctx.db, userId, opts);
  ctx.accessTokens.forgetUser(userId);
  await removeAllDevices(ctx, userId);
  await leaveAllRoomsAfterDeactivation(ctx, userId);
}
