import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import {
  deleteRemoteDeviceList,
  getRemoteDeviceLists,
  putRemoteDeviceList,
} from "../storage/e2ee/remote-devices.ts";
import { resyncRemoteDeviceList } from "./remote-keys.ts";

type UpdateContext = Pick<HearthContext, "db" | "federation" | "clock" | "serverName" | "log">;

/**
 * Applies an `m.device_list_update` to the cached list of a remote user, when we cache one. The update
 * follows on from what we hold when its `prev_id` names our version; otherwise we missed something and
 * resync the whole list through `user/devices` (on failure the entry is dropped, so the next keys/query
 * fetches it afresh rather than serving a stale list). Older updates are ignored; one at the version
 * we hold is applied again (each carries its device's whole state, so that is harmless).
 */
export async function applyRemoteDeviceUpdate(
  ctx: UpdateContext,
  userId: string,
  content: JsonObject,
): Promise<void> {
  const [cached] = await getRemoteDeviceLists(ctx.db, [userId]);
  if (!cached) return;
  const streamId = content.stream_id;
  if (typeof streamId !== "number" || streamId < cached.streamId) return;
  const prev = Array.isArray(content.prev_id) ? content.prev_id : [];
  // One change of several devices (logout/all, delete_devices) comes as one update per device, all
  // at the same stream_id: those after the first follow on from the version the first one set.
  if (streamId !== cached.streamId && !prev.includes(cached.streamId)) {
    await resync(ctx, userId);
    return;
  }
  const deviceId = content.device_id as string;
  const devices = JSON.parse(cached.devices) as JsonObject;
  if (content.deleted === true) {
    delete devices[deviceId];
  } else {
    const entry: JsonObject = isJsonObject(devices[deviceId]) ? { ...devices[deviceId] } : {};
    const keys = content.keys;
    if (isJsonObject(keys) && keys.user_id === userId && keys.device_id === deviceId) entry.keys = keys;
    if (typeof content.device_display_name === "string")
      entry.device_display_name = content.device_display_name;
    devices[deviceId] = entry;
  }
  await putRemoteDeviceList(ctx.db, { ...cached, streamId, devices: JSON.stringify(devices) }, ctx.clock());
}

/** Applies an `m.signing_key_update` (new master and/or self-signing key) to a cached list. */
export async function applyRemoteSigningKeyUpdate(
  ctx: UpdateContext,
  userId: string,
  content: JsonObject,
): Promise<void> {
  const [cached] = await getRemoteDeviceLists(ctx.db, [userId]);
  if (!cached) return;
  const ownKey = (v: unknown): string | undefined =>
    isJsonObject(v) && v.user_id === userId ? JSON.stringify(v) : undefined;
  await putRemoteDeviceList(
    ctx.db,
    {
      ...cached,
      masterKey: ownKey(content.master_key) ?? cached.masterKey,
      selfSigningKey: ownKey(content.self_signing_key) ?? cached.selfSigningKey,
    },
    ctx.clock(),
  );
}

async function resync(ctx: UpdateContext, userId: string): Promise<void> {
  try {
    await resyncRemoteDeviceList(ctx, userId);
  } catch (err) {
    ctx.log.info({ err, userId }, "device list resync failed; dropping the cached list");
    await deleteRemoteDeviceList(ctx.db, userId);
  }
}
