import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { containsNul } from "../client-api/query-params.ts";
import type { EduDispatch } from "../federation/inbound/edus.ts";
import { recordDeviceListChange } from "./device-lists.ts";
import { serverOfUserId } from "./input.ts";
import { applyRemoteDeviceUpdate, applyRemoteSigningKeyUpdate } from "./remote-device-updates.ts";
import { localMessages, queueLocalToDevice } from "./to-device.ts";

/*
 * Inbound E2EE EDUs: to-device messages are queued for local devices; device list and cross-signing
 * key updates of a remote user update our cached copy of their list (remote-device-updates.ts) and put
 * the user on the device_lists stream, so local users sharing a room re-query their keys.
 * Malformed content is ignored: the sender would otherwise retry the transaction forever.
 */

/** `m.direct_to_device {sender, type, message_id, messages}` from the sender's own server. */
async function handleDirectToDevice(ctx: HearthContext, origin: string, content: JsonObject): Promise<void> {
  const { sender, type, messages } = content;
  if (typeof sender !== "string" || serverOfUserId(sender) !== origin || typeof type !== "string") return;
  if (containsNul(content)) return;
  let local;
  try {
    local = localMessages(messages, ctx.serverName);
  } catch {
    return;
  }
  await queueLocalToDevice(ctx, sender, type, local);
}

/** `m.device_list_update {user_id, device_id, …}` and `m.signing_key_update {user_id, …}`. */
function deviceListHandler(kind: "device" | "signing") {
  return async (ctx: HearthContext, origin: string, content: JsonObject): Promise<void> => {
    const userId = content.user_id;
    if (typeof userId !== "string" || serverOfUserId(userId) !== origin || containsNul(userId)) return;
    if (kind === "signing") {
      await applyRemoteSigningKeyUpdate(ctx, userId, content);
      return recordDeviceListChange(ctx, userId, [null]);
    }
    const deviceId = content.device_id;
    if (typeof deviceId !== "string" || containsNul(deviceId)) return;
    await applyRemoteDeviceUpdate(ctx, userId, content);
    await recordDeviceListChange(ctx, userId, [deviceId]);
  };
}

export function registerE2eeEdus(edus: EduDispatch): void {
  edus.register("m.direct_to_device", handleDirectToDevice);
  edus.register("m.device_list_update", deviceListHandler("device"));
  edus.register("m.signing_key_update", deviceListHandler("signing"));
}
