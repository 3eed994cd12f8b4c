import type { Selectable } from "kysely";
import type { Db } from "../database.ts";
import type { RoomDeletionsTable } from "./tables.ts";

export type DeletionStatus = "scheduled" | "active" | "complete" | "failed";

export interface RoomDeletion {
  deleteId: string;
  roomId: string;
  requestedBy: string;
  block: boolean;
  purge: boolean;
  forcePurge: boolean;
  status: DeletionStatus;
  error: string | null;
  kickedUsers: string[];
  failedToKickUsers: string[];
  localAliases: string[];
}

function fromRow(r: Selectable<RoomDeletionsTable>): RoomDeletion {
  return {
    deleteId: r.delete_id,
    roomId: r.room_id,
    requestedBy: r.requested_by,
    block: r.block,
    purge: r.purge,
    forcePurge: r.force_purge,
    status: r.status as DeletionStatus,
    error: r.error,
    kickedUsers: r.kicked_users,
    failedToKickUsers: r.failed_to_kick_users,
    localAliases: r.local_aliases,
  };
}

export async function insertRoomDeletion(
  db: Db,
  d: {
    deleteId: string;
    roomId: string;
    requestedBy: string;
    block: boolean;
    purge: boolean;
    forcePurge: boolean;
  },
  now: number,
): Promise<void> {
  await db
    .insertInto("room_deletions")
    .values({
      delete_id: d.deleteId,
      room_id: d.roomId,
      requested_by: d.requestedBy,
      block: d.block,
      purge: d.purge,
      force_purge: d.forcePurge,
      status: "scheduled",
      created_ts: now,
      updated_ts: now,
    })
    .execute();
}

/**
 * Claims the oldest scheduled deletion (marks it active) so that exactly one runner does it; the row
 * lock with SKIP LOCKED keeps two runners from claiming the same one.
 */
export async function claimScheduledDeletion(db: Db, now: number): Promise<RoomDeletion | undefined> {
  return db.transaction().execute(async (tx) => {
    const next = await tx
      .selectFrom("room_deletions")
      .select("delete_id")
      .where("status", "=", "scheduled")
      .orderBy("created_ts")
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!next) return undefined;
    const row = await tx
      .updateTable("room_deletions")
      .set({ status: "active", updated_ts: now })
      .where("delete_id", "=", next.delete_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return fromRow(row);
  });
}

export async function updateRoomDeletion(
  db: Db,
  deleteId: string,
  change: {
    status?: DeletionStatus;
    error?: string | null;
    kickedUsers?: string[];
    failedToKickUsers?: string[];
    localAliases?: string[];
  },
  now: number,
): Promise<void> {
  await db
    .updateTable("room_deletions")
    .set({
      updated_ts: now,
      ...(change.status === undefined ? {} : { status: change.status }),
      ...(change.error === undefined ? {} : { error: change.error }),
      ...(change.kickedUsers === undefined ? {} : { kicked_users: change.kickedUsers }),
      ...(change.failedToKickUsers === undefined ? {} : { failed_to_kick_users: change.failedToKickUsers }),
      ...(change.localAliases === undefined ? {} : { local_aliases: change.localAliases }),
    })
    .where("delete_id", "=", deleteId)
    .execute();
}

export async function getRoomDeletion(db: Db, deleteId: string): Promise<RoomDeletion | undefined> {
  const row = await db
    .selectFrom("room_deletions")
    .selectAll()
    .where("delete_id", "=", deleteId)
    .executeTakeFirst();
  return row && fromRow(row);
}

export async function roomDeletionsOf(db: Db, roomId: string): Promise<RoomDeletion[]> {
  const rows = await db
    .selectFrom("room_deletions")
    .selectAll()
    .where("room_id", "=", roomId)
    .orderBy("created_ts")
    .execute();
  return rows.map(fromRow);
}

export async function hasScheduledDeletions(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom("room_deletions")
    .select("delete_id")
    .where("status", "=", "scheduled")
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
