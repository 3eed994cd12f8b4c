import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { badJson } from "../errors.ts";
import { claimFallbackKey, claimOneTimeKey } from "../storage/e2ee/one-time-keys.ts";
import { objectAt, serverOfUserId, userMap } from "./input.ts";

const FEDERATION_UNAVAILABLE = {
  status: 503,
  message: "Claiming keys on remote servers is not supported yet",
};

/**
 * POST keys/claim: for each named device one key of the asked algorithm, the oldest unclaimed
 * one-time key first (deleted as it is handed out), else the device's fallback key, which stays but
 * is marked used. Devices (or users) without keys are left out of the answer, as the spec has it.
 */
export async function claimKeys(
  ctx: Pick<HearthContext, "db" | "serverName">,
  body: JsonObject,
): Promise<JsonObject> {
  const requested = userMap(body.one_time_keys, "one_time_keys");
  const wanted: { userId: string; deviceId: string; algorithm: string }[] = [];
  const failures: JsonObject = {};
  for (const [userId, devices] of Object.entries(requested)) {
    for (const [deviceId, algorithm] of Object.entries(objectAt(devices, `one_time_keys.${userId}`))) {
      if (typeof algorithm !== "string" || algorithm === "") {
        throw badJson(`'one_time_keys.${userId}.${deviceId}' must be an algorithm name`);
      }
      const server = serverOfUserId(userId) as string;
      if (server !== ctx.serverName) failures[server] = FEDERATION_UNAVAILABLE;
      else wanted.push({ userId, deviceId, algorithm });
    }
  }
  const oneTimeKeys: Record<string, JsonObject> = {};
  for (const w of wanted) {
    const key =
      (await claimOneTimeKey(ctx.db, w.userId, w.deviceId, w.algorithm)) ??
      (await claimFallbackKey(ctx.db, w.userId, w.deviceId, w.algorithm));
    if (!key) continue;
    (oneTimeKeys[w.userId] ??= {})[w.deviceId] = {
      [`${w.algorithm}:${key.keyId}`]: JSON.parse(key.keyJson) as JsonObject,
    };
  }
  return { one_time_keys: oneTimeKeys, failures };
}
