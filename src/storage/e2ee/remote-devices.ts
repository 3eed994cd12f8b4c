import { sql } from "kysely";
import type { Db } from "../database.ts";

/** A remote user's cached device list (migrations/0015_remote_devices.sql). */
export interface RemoteDeviceList {
  userId: string;
  streamId: number;
  /** JSON text: {device_id: {keys?, device_display_name?}}. */
  devices: string;
  masterKey: string | null;
  selfSigningKey: string | null;
}

export async function getRemoteDeviceLists(db: Db, userIds: readonly string[]): Promise<RemoteDeviceList[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom("e2e_remote_device_lists")
    .select(["user_id", "stream_id", "devices", "master_key", "self_signing_key"])
    .where("user_id", "in", [...userIds])
    .execute();
  return rows.map((r) => ({
    userId: r.user_id,
    streamId: Number(r.stream_id),
    devices: r.devices,
    masterKey: r.master_key,
    selfSigningKey: r.self_signing_key,
  }));
}

export async function putRemoteDeviceList(db: Db, list: RemoteDeviceList, now: number): Promise<void> {
  const values = {
    stream_id: list.streamId,
    devices: list.devices,
    master_key: list.masterKey,
    self_signing_key: list.selfSigningKey,
    updated_ts: now,
  };
  await db
    .insertInto("e2e_remote_device_lists")
    .values({ user_id: list.userId, ...values })
    .onConflict((oc) => oc.column("user_id").doUpdateSet(values))
    .execute();
}

export async function deleteRemoteDeviceList(db: Db, userId: string): Promise<void> {
  await db.deleteFrom("e2e_remote_device_lists").where("user_id", "=", userId).execute();
}

/**
 * Of the given remote users, those joined to a room a local user (of `serverName`) is joined to: their
 * servers send us their device list updates, so a cached list of theirs stays current.
 */
export async function usersSharingRoomWithLocals(
  db: Db,
  userIds: readonly string[],
  serverName: string,
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const suffix = `:${serverName}`;
  const rows = await sql<{ user_id: string }>`
    SELECT DISTINCT x.user_id
    FROM current_memberships x
    JOIN current_memberships y ON y.room_id = x.room_id AND y.membership = 'join'
      AND right(y.user_id, ${suffix.length}) = ${suffix}
    WHERE x.user_id = ANY(${[...userIds]}::text[]) AND x.membership = 'join'
  `.execute(db);
  return new Set(rows.rows.map((r) => r.user_id));
}
