import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { findDevice } from "../storage/accounts/devices.ts";
import { serversSharingRoomWith } from "../storage/federation/room-servers.ts";
import { localKeys } from "./local-keys.ts";

export type DeviceListFederationContext = Pick<HearthContext, "db" | "serverName" | "federation" | "log">;

/**
 * The EDUs that tell other servers about a change of a local user's devices at `streamId`:
 * `m.device_list_update` per device (its keys and name, or `deleted`), with `prev_id` the user's
 * previous version so a receiver that missed one resyncs; `m.signing_key_update` for the cross-signing
 * keys (device id null).
 */
async function deviceListEdus(
  ctx: DeviceListFederationContext,
  userId: string,
  deviceIds: readonly (string | null)[],
  streamId: number,
  prevId: number,
): Promise<{ type: string; content: JsonObject }[]> {
  const devices = deviceIds.filter((d): d is string => d !== null);
  const keys = await localKeys(ctx, new Map([[userId, deviceIds.includes(null) ? [] : devices]]), "");
  const edus: { type: string; content: JsonObject }[] = [];
  for (const deviceId of devices) {
    const device = await findDevice(ctx.db, userId, deviceId);
    const content: JsonObject = {
      user_id: userId,
      device_id: deviceId,
      stream_id: streamId,
      prev_id: prevId > 0 ? [prevId] : [],
      deleted: device === undefined,
    };
    const key = keys.device_keys[userId]?.[deviceId];
    if (device) {
      if (device.displayName !== null) content.device_display_name = device.displayName;
      if (isJsonObject(key)) {
        const { unsigned: _unsigned, ...uploaded } = key;
        content.keys = uploaded;
      }
    }
    edus.push({ type: "m.device_list_update", content });
  }
  if (deviceIds.includes(null)) {
    const content: JsonObject = { user_id: userId };
    if (keys.master_keys[userId]) content.master_key = keys.master_keys[userId];
    if (keys.self_signing_keys[userId]) content.self_signing_key = keys.self_signing_keys[userId];
    edus.push({ type: "m.signing_key_update", content });
  }
  return edus;
}

/**
 * Queues the EDUs for a local user's device list change to every server sharing a room with the user.
 * They go through the durable outbox, in order per destination. Failures are logged: the change itself
 * is stored, and a receiver that missed it resyncs on the next update's prev_id.
 */
export async function federateDeviceListChange(
  ctx: DeviceListFederationContext,
  userId: string,
  deviceIds: readonly (string | null)[],
  streamId: number,
  prevId: number,
): Promise<void> {
  try {
    const servers = (await serversSharingRoomWith(ctx.db, userId)).filter((s) => s !== ctx.serverName);
    if (servers.length === 0) return;
    const edus = await deviceListEdus(ctx, userId, deviceIds, streamId, prevId);
    for (const server of servers) {
      for (const edu of edus) await ctx.federation.sender.queueEdu(server, edu.type, edu.content);
    }
  } catch (err) {
    ctx.log.warn({ err, userId }, "could not queue device list updates for other servers");
  }
}
