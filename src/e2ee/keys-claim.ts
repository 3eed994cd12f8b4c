import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { badJson } from "../errors.ts";
import { claimFallbackKey, claimOneTimeKey } from "../storage/e2ee/one-time-keys.ts";
import { objectAt, serverOfUserId, userMap } from "./input.ts";
import { claimRemoteKeys } from "./remote-keys.ts";

export interface KeyClaim {
  userId: string;
  deviceId: string;
  algorithm: string;
}

/** The `one_time_keys` request map checked: `{userId: {deviceId: algorithm}}`. */
export function parseKeyClaims(value: JsonObject[string] | undefined): KeyClaim[] {
  const requested = userMap(value, "one_time_keys");
  const claims: KeyClaim[] = [];
  for (const [userId, devices] of Object.entries(requested)) {
    for (const [deviceId, algorithm] of Object.entries(objectAt(devices, `one_time_keys.${userId}`))) {
      if (typeof algorithm !== "string" || algorithm === "") {
        throw badJson(`'one_time_keys.${userId}.${deviceId}' must be an algorithm name`);
      }
      claims.push({ userId, deviceId, algorithm });
    }
  }
  return claims;
}

/**
 * Local users' keys: for each named device one key of the asked algorithm, the oldest unclaimed
 * one-time key first (deleted as it is handed out), else the device's fallback key, which stays but
 * is marked used. Devices (or users) without keys are left out, as the spec has it.
 */
export async function claimLocalKeys(
  ctx: Pick<HearthContext, "db" | "sync">,
  claims: readonly KeyClaim[],
): Promise<Record<string, JsonObject>> {
  const oneTimeKeys: Record<string, JsonObject> = {};
  for (const w of claims) {
    let key;
    try {
      key =
        (await claimOneTimeKey(ctx.db, w.userId, w.deviceId, w.algorithm)) ??
        (await claimFallbackKey(ctx.db, w.userId, w.deviceId, w.algorithm));
    } finally {
      ctx.sync.deviceKeyCounts.changed(w.userId, w.deviceId);
    }
    if (!key) continue;
    (oneTimeKeys[w.userId] ??= {})[w.deviceId] = {
      [`${w.algorithm}:${key.keyId}`]: JSON.parse(key.keyJson) as JsonObject,
    };
  }
  return oneTimeKeys;
}

/** POST keys/claim: local devices' keys here, remote ones through their servers' `user/keys/claim`. */
export async function claimKeys(
  ctx: Pick<HearthContext, "db" | "serverName" | "federation" | "clock" | "sync">,
  body: JsonObject,
): Promise<JsonObject> {
  const claims = parseKeyClaims(body.one_time_keys);
  const local: KeyClaim[] = [];
  const byServer = new Map<string, JsonObject>();
  for (const c of claims) {
    const server = serverOfUserId(c.userId) as string;
    if (server === ctx.serverName) {
      local.push(c);
      continue;
    }
    let request = byServer.get(server);
    if (!request) byServer.set(server, (request = {}));
    ((request[c.userId] ??= {}) as JsonObject)[c.deviceId] = c.algorithm;
  }
  const oneTimeKeys = await claimLocalKeys(ctx, local);
  const failures: JsonObject = {};
  await claimRemoteKeys(ctx, byServer, oneTimeKeys, failures);
  return { one_time_keys: oneTimeKeys, failures };
}
