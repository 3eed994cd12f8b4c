import type { HearthContext } from "../context.ts";
import { encodeCanonicalJson } from "../core/canonical-json.ts";
import { deviceKeysProblem, oneTimeKeyProblem, splitKeyId } from "../core/e2ee-keys.ts";
import type { JsonObject } from "../core/json.ts";
import { withoutSignaturesAndUnsigned } from "../core/signing.ts";
import { badJson, invalidParam } from "../errors.ts";
import { insertDeviceKeys } from "../storage/e2ee/device-keys.ts";
import {
  countOneTimeKeys,
  insertOneTimeKeys,
  upsertFallbackKey,
  type UploadedKey,
} from "../storage/e2ee/one-time-keys.ts";
import { recordDeviceListChange } from "./device-lists.ts";
import { objectAt } from "./input.ts";

type UploadContext = Pick<HearthContext, "db" | "sync" | "serverName" | "federation" | "log">;

/** The algorithm clients top up; reported as 0 rather than left out (older clients expect the key). */
const SIGNED_CURVE25519 = "signed_curve25519";

function parseKeys(map: JsonObject, where: string): UploadedKey[] {
  return Object.entries(map).map(([id, value]) => {
    const problem = oneTimeKeyProblem(id, value);
    if (problem) throw badJson(`${where}: ${problem}`);
    const { algorithm, keyId } = splitKeyId(id) as { algorithm: string; keyId: string };
    return { algorithm, keyId, keyJson: JSON.stringify(value) };
  });
}

const signedPart = (obj: JsonObject): string => encodeCanonicalJson(withoutSignaturesAndUnsigned(obj));

/**
 * POST keys/upload for the requester's device: its identity keys (once; an identical re-upload is
 * accepted, different keys are refused), one-time keys (a key id reused with other content is
 * refused and nothing of the upload is kept) and fallback keys (replacing the previous one per
 * algorithm). Returns the device's unclaimed one-time key counts.
 */
export async function uploadKeys(
  ctx: UploadContext,
  requester: { userId: string; deviceId: string },
  body: JsonObject,
): Promise<Record<string, number>> {
  const { userId, deviceId } = requester;
  const deviceKeys =
    body.device_keys === undefined || body.device_keys === null
      ? undefined
      : objectAt(body.device_keys, "device_keys");
  if (deviceKeys) {
    const problem = deviceKeysProblem(deviceKeys, userId, deviceId);
    if (problem) throw invalidParam(problem);
  }
  const oneTime =
    body.one_time_keys === undefined || body.one_time_keys === null
      ? []
      : parseKeys(objectAt(body.one_time_keys, "one_time_keys"), "one_time_keys");
  const fallbackMap = body.fallback_keys ?? body["org.matrix.msc2732.fallback_keys"];
  const fallback =
    fallbackMap === undefined || fallbackMap === null
      ? []
      : parseKeys(objectAt(fallbackMap, "fallback_keys"), "fallback_keys");

  let newDevice: boolean;
  try {
    newDevice = await ctx.db.transaction().execute(async (trx) => {
      let inserted = false;
      if (deviceKeys) {
        const json = JSON.stringify(deviceKeys);
        const stored = await insertDeviceKeys(trx, userId, deviceId, json);
        inserted = stored.inserted;
        if (!inserted && signedPart(JSON.parse(stored.keyJson) as JsonObject) !== signedPart(deviceKeys)) {
          throw invalidParam("This device already has different device keys; they cannot be changed");
        }
      }
      const conflicts = await insertOneTimeKeys(trx, userId, deviceId, oneTime);
      if (conflicts.length > 0) {
        throw invalidParam(`One-time key ${conflicts.join(", ")} already exists with different content`);
      }
      // The last key given for an algorithm is the one kept.
      for (const key of fallback) await upsertFallbackKey(trx, userId, deviceId, key);
      return inserted;
    });
  } finally {
    // After commit or rollback: /sync's cached key counts for the device are read again.
    ctx.sync.deviceKeyCounts.changed(userId, deviceId);
  }
  if (newDevice) await recordDeviceListChange(ctx, userId, [deviceId]);
  return { [SIGNED_CURVE25519]: 0, ...(await countOneTimeKeys(ctx.db, userId, deviceId)) };
}
