import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { remoteJson, RemoteServerError } from "../federation/outbound/remote-server-error.ts";
import {
  getRemoteDeviceLists,
  putRemoteDeviceList,
  usersSharingRoomWithLocals,
  type RemoteDeviceList,
} from "../storage/e2ee/remote-devices.ts";
import { serverOfUserId } from "./input.ts";
import type { KeysAnswer } from "./local-keys.ts";

type RemoteContext = Pick<HearthContext, "db" | "federation" | "clock" | "serverName">;

/** How long a client's keys/query or keys/claim waits for other servers (the spec's default timeout). */
export const REMOTE_KEYS_TIMEOUT_MS = 10_000;

const enc = encodeURIComponent;

/** A failure entry for `failures`, keyed by server in the client's answer. */
function failure(e: unknown): JsonObject {
  if (e instanceof RemoteServerError) return { status: 503, message: e.message };
  throw e;
}

/** The cross-signing key in an answer when it is a key of that user, else null. */
function crossSigningKey(value: unknown, userId: string): string | null {
  return isJsonObject(value) && value.user_id === userId ? JSON.stringify(value) : null;
}

/**
 * A `user/devices` answer (or the like) as a cache entry. Devices whose keys name another user or
 * device are dropped: a server may only speak for its own users, and clients would refuse them anyway.
 */
export function deviceListFromAnswer(userId: string, body: JsonObject): RemoteDeviceList | undefined {
  if (body.user_id !== userId || typeof body.stream_id !== "number" || !Array.isArray(body.devices)) {
    return undefined;
  }
  const devices: JsonObject = {};
  for (const d of body.devices) {
    if (!isJsonObject(d) || typeof d.device_id !== "string") continue;
    const entry: JsonObject = {};
    if (isJsonObject(d.keys)) {
      if (d.keys.user_id !== userId || d.keys.device_id !== d.device_id) continue;
      entry.keys = d.keys;
    }
    if (typeof d.device_display_name === "string") entry.device_display_name = d.device_display_name;
    devices[d.device_id] = entry;
  }
  return {
    userId,
    streamId: body.stream_id,
    devices: JSON.stringify(devices),
    masterKey: crossSigningKey(body.master_key, userId),
    selfSigningKey: crossSigningKey(body.self_signing_key, userId),
  };
}

/** Fetches the user's whole device list from their server (`user/devices`) and caches it. */
export async function resyncRemoteDeviceList(ctx: RemoteContext, userId: string): Promise<RemoteDeviceList> {
  const server = serverOfUserId(userId) as string;
  const body = await remoteJson(ctx.federation.client, {
    destination: server,
    method: "GET",
    path: `/_matrix/federation/v1/user/devices/${enc(userId)}`,
    timeoutMs: REMOTE_KEYS_TIMEOUT_MS,
  });
  const list = deviceListFromAnswer(userId, body);
  if (!list) throw new RemoteServerError(server, `${server} answered user/devices malformed`, false);
  await putRemoteDeviceList(ctx.db, list, ctx.clock());
  return list;
}

/** Folds a cached device list into a keys/query answer, limited to the devices asked for. */
function addToAnswer(answer: KeysAnswer, list: RemoteDeviceList, deviceIds: readonly string[]): void {
  const devices = JSON.parse(list.devices) as Record<string, JsonObject>;
  const out: JsonObject = {};
  for (const [deviceId, entry] of Object.entries(devices)) {
    if (deviceIds.length > 0 && !deviceIds.includes(deviceId)) continue;
    if (!isJsonObject(entry.keys)) continue;
    const name = entry.device_display_name;
    out[deviceId] =
      typeof name === "string" ? { ...entry.keys, unsigned: { device_display_name: name } } : entry.keys;
  }
  answer.device_keys[list.userId] = out;
  if (list.masterKey !== null) answer.master_keys[list.userId] = JSON.parse(list.masterKey) as JsonObject;
  if (list.selfSigningKey !== null) {
    answer.self_signing_keys[list.userId] = JSON.parse(list.selfSigningKey) as JsonObject;
  }
}

/**
 * keys/query for remote users: from the cache when their server keeps us informed (we share a room,
 * so device list updates arrive), else fetched from their server with `user/devices` and cached.
 * A server that cannot answer is listed in `failures`; its users are left out.
 */
export async function remoteKeys(
  ctx: RemoteContext,
  wanted: ReadonlyMap<string, readonly string[]>,
  answer: KeysAnswer,
  failures: JsonObject,
): Promise<void> {
  const users = [...wanted.keys()];
  if (users.length === 0) return;
  const [cached, tracked] = await Promise.all([
    getRemoteDeviceLists(ctx.db, users),
    usersSharingRoomWithLocals(ctx.db, users, ctx.serverName),
  ]);
  const fresh = new Map(cached.filter((l) => tracked.has(l.userId)).map((l) => [l.userId, l]));
  await Promise.all(
    users.map(async (userId) => {
      const server = serverOfUserId(userId) as string;
      try {
        const list = fresh.get(userId) ?? (await resyncRemoteDeviceList(ctx, userId));
        addToAnswer(answer, list, wanted.get(userId) ?? []);
      } catch (e) {
        failures[server] = failure(e);
      }
    }),
  );
}

/**
 * keys/claim for remote users: one `user/keys/claim` per server. Only keys of that server's own users
 * are taken from its answer; a server that cannot answer is listed in `failures`.
 */
export async function claimRemoteKeys(
  ctx: RemoteContext,
  byServer: ReadonlyMap<string, JsonObject>,
  oneTimeKeys: Record<string, JsonObject>,
  failures: JsonObject,
): Promise<void> {
  await Promise.all(
    [...byServer].map(async ([server, request]) => {
      try {
        const body = await remoteJson(ctx.federation.client, {
          destination: server,
          method: "POST",
          path: "/_matrix/federation/v1/user/keys/claim",
          body: { one_time_keys: request },
          timeoutMs: REMOTE_KEYS_TIMEOUT_MS,
        });
        const claimed = isJsonObject(body.one_time_keys) ? body.one_time_keys : {};
        for (const [userId, devices] of Object.entries(claimed)) {
          if (serverOfUserId(userId) !== server || request[userId] === undefined || !isJsonObject(devices))
            continue;
          oneTimeKeys[userId] = devices;
        }
      } catch (e) {
        failures[server] = failure(e);
      }
    }),
  );
}
