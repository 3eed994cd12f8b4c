import type { HearthContext } from "../context.ts";
import { deviceKeyState } from "../storage/e2ee/one-time-keys.ts";

/**
 * `device_one_time_keys_count` and `device_unused_fallback_key_types` for the syncing device, on every
 * sync (clients top up their keys from these). signed_curve25519 is always present, 0 when none are
 * left, as clients expect.
 */
export async function deviceKeyCounts(
  ctx: Pick<HearthContext, "db">,
  userId: string,
  deviceId: string,
): Promise<{
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}> {
  const { counts, unusedFallback } = await deviceKeyState(ctx.db, userId, deviceId);
  return {
    device_one_time_keys_count: { signed_curve25519: 0, ...counts },
    device_unused_fallback_key_types: unusedFallback,
  };
}
