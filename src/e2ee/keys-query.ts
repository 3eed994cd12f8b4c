import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { badJson } from "../errors.ts";
import { serverOfUserId, userMap } from "./input.ts";
import { localKeys } from "./local-keys.ts";
import { remoteKeys } from "./remote-keys.ts";

type QueryContext = Pick<HearthContext, "db" | "serverName" | "federation" | "clock">;

/**
 * POST keys/query: device keys (with `unsigned.device_display_name`) and cross-signing keys of the
 * named users. Local users' come with the signatures the requester may see; remote users' come from
 * the device list cache or their server (see remote-keys.ts), servers that fail listed in `failures`.
 */
export async function queryKeys(ctx: QueryContext, requester: string, body: JsonObject): Promise<JsonObject> {
  const requested = userMap(body.device_keys, "device_keys");
  const local = new Map<string, string[]>();
  const remote = new Map<string, string[]>();
  for (const [userId, devices] of Object.entries(requested)) {
    if (devices !== null && (!Array.isArray(devices) || !devices.every((d) => typeof d === "string"))) {
      throw badJson(`'device_keys.${userId}' must be a list of device IDs`);
    }
    const target = serverOfUserId(userId) === ctx.serverName ? local : remote;
    target.set(userId, (devices ?? []) as string[]);
  }
  const answer = await localKeys(ctx, local, requester);
  const failures: JsonObject = {};
  await remoteKeys(ctx, remote, answer, failures);
  return { ...answer, failures };
}
