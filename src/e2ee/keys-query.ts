import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { badJson } from "../errors.ts";
import { getCrossSigningKeys, visibleKeySignatures } from "../storage/e2ee/cross-signing.ts";
import { queryDeviceKeys } from "../storage/e2ee/device-keys.ts";
import { serverOfUserId, userMap } from "./input.ts";
import { signaturesByTarget, withSignatures } from "./signature-merge.ts";

type QueryContext = Pick<HearthContext, "db" | "serverName">;

/** What a remote server's failure looks like in `failures` until federation answers for remote users. */
const FEDERATION_UNAVAILABLE = { status: 503, message: "Querying remote servers is not supported yet" };

/**
 * POST keys/query: device keys (with `unsigned.device_display_name`) and cross-signing keys of the
 * named users, with the signatures the requester may see merged in. The user-signing key is only
 * ever returned to its owner. Unknown local users get an empty device map; remote servers are listed
 * in `failures` (federation is not wired in yet).
 */
export async function queryKeys(ctx: QueryContext, requester: string, body: JsonObject): Promise<JsonObject> {
  const requested = userMap(body.device_keys, "device_keys");
  const wanted = new Map<string, string[]>();
  const failures: JsonObject = {};
  for (const [userId, devices] of Object.entries(requested)) {
    if (devices !== null && (!Array.isArray(devices) || !devices.every((d) => typeof d === "string"))) {
      throw badJson(`'device_keys.${userId}' must be a list of device IDs`);
    }
    const server = serverOfUserId(userId) as string;
    if (server !== ctx.serverName) failures[server] = FEDERATION_UNAVAILABLE;
    else wanted.set(userId, (devices ?? []) as string[]);
  }
  const users = [...wanted.keys()];
  const [devices, crossSigning, signatures] = await Promise.all([
    queryDeviceKeys(ctx.db, wanted),
    getCrossSigningKeys(ctx.db, users),
    visibleKeySignatures(ctx.db, users, requester),
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
  const master: JsonObject = {};
  const selfSigning: JsonObject = {};
  const userSigning: JsonObject = {};
  for (const k of crossSigning) {
    const key = withSignatures(
      JSON.parse(k.keyJson) as JsonObject,
      sigs.get(`${k.userId}\u0000${k.publicKey}`) ?? [],
    );
    if (k.keyType === "master") master[k.userId] = key;
    else if (k.keyType === "self_signing") selfSigning[k.userId] = key;
    else if (k.userId === requester) userSigning[k.userId] = key;
  }
  return {
    device_keys: deviceKeys,
    master_keys: master,
    self_signing_keys: selfSigning,
    user_signing_keys: userSigning,
    failures,
  };
}
