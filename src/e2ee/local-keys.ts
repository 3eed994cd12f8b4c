import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { listDevices } from "../storage/accounts/devices.ts";
import { getCrossSigningKeys, visibleKeySignatures } from "../storage/e2ee/cross-signing.ts";
import { lastDeviceListChange } from "../storage/e2ee/device-lists.ts";
import { queryDeviceKeys } from "../storage/e2ee/device-keys.ts";
import { signaturesByTarget, withSignatures } from "./signature-merge.ts";

export interface KeysAnswer {
  device_keys: Record<string, JsonObject>;
  master_keys: JsonObject;
  self_signing_keys: JsonObject;
  user_signing_keys: JsonObject;
}

/**
 * Device keys (with `unsigned.device_display_name`) and cross-signing keys of local users, with the
 * signatures `viewer` may see merged in. `wanted` maps each user to the devices asked for (empty: all).
 * The user-signing key only ever goes to its owner. Unknown users get an empty device map.
 */
export async function localKeys(
  ctx: Pick<HearthContext, "db">,
  wanted: ReadonlyMap<string, readonly string[]>,
  viewer: string,
): Promise<KeysAnswer> {
  const users = [...wanted.keys()];
  const [devices, crossSigning, signatures] = await Promise.all([
    queryDeviceKeys(ctx.db, wanted),
    getCrossSigningKeys(ctx.db, users),
    visibleKeySignatures(ctx.db, users, viewer),
  ]);
  const sigs = signaturesByTarget(signatures);
  const deviceKeys: Record<string, JsonObject> = Object.fromEntries(users.map((u) => [u, {}]));
  for (const d of devices) {
    const key = withSignatures(
      JSON.parse(d.keyJson) as JsonObject,
      sigs.get(`${d.userId}\u0000${d.deviceId}`) ?? [],
    );
    const unsigned = isJsonObject(key.unsigned) ? key.unsigned : {};
    (deviceKeys[d.userId] as JsonObject)[d.deviceId] = {
      ...key,
      unsigned: { ...unsigned, ...(d.displayName === null ? {} : { device_display_name: d.displayName }) },
    };
  }
  const answer: KeysAnswer = {
    device_keys: deviceKeys,
    master_keys: {},
    self_signing_keys: {},
    user_signing_keys: {},
  };
  for (const k of crossSigning) {
    const key = withSignatures(
      JSON.parse(k.keyJson) as JsonObject,
      sigs.get(`${k.userId}\u0000${k.publicKey}`) ?? [],
    );
    if (k.keyType === "master") answer.master_keys[k.userId] = key;
    else if (k.keyType === "self_signing") answer.self_signing_keys[k.userId] = key;
    else if (k.userId === viewer) answer.user_signing_keys[k.userId] = key;
  }
  return answer;
}

/**
 * A local user's device list as federation `user/devices/{userId}` gives it: every device (keys when
 * uploaded, display name when set), the master and self-signing keys, and the user's device list
 * version (the last device_lists position at which they changed).
 */
export async function localDeviceList(ctx: Pick<HearthContext, "db">, userId: string): Promise<JsonObject> {
  const [devices, keys, streamId] = await Promise.all([
    listDevices(ctx.db, userId),
    localKeys(ctx, new Map([[userId, []]]), userId),
    lastDeviceListChange(ctx.db, userId, Number.MAX_SAFE_INTEGER),
  ]);
  const byDevice = keys.device_keys[userId] ?? {};
  const answer: JsonObject = {
    user_id: userId,
    stream_id: streamId,
    devices: devices.map((d) => {
      const entry: JsonObject = { device_id: d.deviceId };
      const k = byDevice[d.deviceId];
      if (isJsonObject(k)) entry.keys = withoutUnsigned(k);
      if (d.displayName !== null) entry.device_display_name = d.displayName;
      return entry;
    }),
  };
  if (keys.master_keys[userId]) answer.master_key = keys.master_keys[userId];
  if (keys.self_signing_keys[userId]) answer.self_signing_key = keys.self_signing_keys[userId];
  return answer;
}

/** Device keys as uploaded: the display name travels beside them over federation, not inside. */
function withoutUnsigned(key: JsonObject): JsonObject {
  const { unsigned: _unsigned, ...rest } = key;
  return rest;
}
