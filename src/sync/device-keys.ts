import type { HearthContext } from "../context.ts";
import { deviceKeyState } from "../storage/e2ee/one-time-keys.ts";
import type { DeviceKeyCountsBody } from "./device-key-cache.ts";

/**
 * `device_one_time_keys_count` and `device_unused_fallback_key_types` for the syncing device, on every
 * sync (clients top up their keys from these). signed_curve25519 is always present, 0 when none are
 * left, as clients expect.
 */
export async function deviceKeyCounts(
  ctx: Pick<HearthContext, "db" | "sync">,
  userId: string,
  deviceId: string,
): Promise<DeviceKeyCountsBody> {
  return ctx.sync.deviceKeyCounts.get(userId, deviceId, async () => {
    const { counts, unusedFallback } = await deviceKeyState(ctx.db, userId, deviceId);
    return {
      device_one_time_keys_count: { signed_curve25519: 0, ...counts },
      device_unused_fallback_key_types: unusedFallback,
    };
  });
}
