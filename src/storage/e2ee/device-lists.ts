import { sql } from "kysely";
import type { Db } from "../database.ts";

/** Records that these devices (null: the cross-signing keys) of `userId` changed at `streamId`. */
export async function insertDeviceListChanges(
  db: Db,
  streamId: number,
  userId: string,
  deviceIds: readonly (string | null)[],
): Promise<void> {
  if (deviceIds.length === 0) return;
  await db
    .insertInto("device_list_changes")
    .values(deviceIds.map((d) => ({ stream_id: streamId, user_id: userId, device_id: d })))
    .execute();
}

/** Users whose device list changed in (after, upTo], among `userIds`. */
export async function usersWithDeviceListChanges(
  db: Db,
  userIds: readonly string[],
  after: number,
  upTo: number,
): Promise<string[]> {
  if (userIds.length === 0 || after >= upTo) return [];
  const rows = await db
    .selectFrom("device_list_changes")
    .select("user_id")
    .distinct()
    .where("user_id", "in", [...userIds])
    .where("stream_id", ">", String(after))
    .where("stream_id", "<=", String(upTo))
    .execute();
  return rows.map((r) => r.user_id);
}

export async function maxDeviceListStreamId(db: Db): Promise<number> {
  const row = await db
    .selectFrom("device_list_changes")
    .select((eb) => eb.fn.max("stream_id").as("max"))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

/**
 * Users who had a membership change in (after, upTo] on the events stream in any of `roomIds`, with
 * the membership it left them in: candidates for `device_lists.left` once no room is shared any more.
 */
export async function usersWithMembershipChanges(
  db: Db,
  roomIds: readonly string[],
  after: number,
  upTo: number,
): Promise<string[]> {
  if (roomIds.length === 0 || after >= upTo) return [];
  const rows = await sql<{ user_id: string }>`
    SELECT DISTINCT rm.user_id FROM events e JOIN room_memberships rm ON rm.event_id = e.event_id
    WHERE e.room_id = ANY(${[...roomIds]}::text[]) AND e.type = 'm.room.member'
      AND e.stream_ordering > ${after} AND e.stream_ordering <= ${upTo} AND rm.membership <> 'join'
  `.execute(db);
  return rows.rows.map((r) => r.user_id);
}

/** Everyone with a membership (any) in the given rooms now: the people a room the syncer left took away. */
export async function roomMembersAnyState(db: Db, roomIds: readonly string[]): Promise<string[]> {
  if (roomIds.length === 0) return [];
  const rows = await db
    .selectFrom("current_memberships")
    .select("user_id")
    .distinct()
    .where("room_id", "in", [...roomIds])
    .execute();
  return rows.map((r) => r.user_id);
}

/**
 * The latest position at which one of `userId`'s devices changed, before `before` (0: none): the
 * user's device list version over federation. Cross-signing changes (null device) are left out, since
 * m.signing_key_update carries no stream_id and the next device update must follow on from the last.
 */
export async function lastDeviceListChange(db: Db, userId: string, before: number): Promise<number> {
  const row = await db
    .selectFrom("device_list_changes")
    .select((eb) => eb.fn.max("stream_id").as("max"))
    .where("user_id", "=", userId)
    .where("device_id", "is not", null)
    .where("stream_id", "<", String(before))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}
