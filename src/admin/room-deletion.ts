import { randomBytes } from "node:crypto";
import type { HearthContext } from "../context.ts";
import { domainOf } from "../core/auth/identifiers.ts";
import { MatrixError, notFound } from "../errors.ts";
import { leaveRoomAs } from "./room-leave.ts";
import { blockRoom } from "../storage/admin/blocked-rooms.ts";
import {
  getRoomDeletion,
  insertRoomDeletion,
  roomDeletionsOf,
  updateRoomDeletion,
  type RoomDeletion,
} from "../storage/admin/room-deletions.ts";
import { purgeRoomRows } from "../storage/admin/room-purge.ts";
import { deleteAlias, roomAliases, setRoomPublished } from "../storage/rooms/directory.ts";
import { getRoomMembers } from "../storage/rooms/memberships.ts";
import { getRoom } from "../storage/rooms/rooms.ts";
import { logAdminAction, type AdminActor } from "./audit.ts";

export interface DeleteRoomOptions {
  block: boolean;
  purge: boolean;
  forcePurge: boolean;
}

/**
 * Queues the deletion of a known room and wakes the runner; the work happens in the process that writes
 * rooms (this one, or the running server when the CLI asks). Returns the delete id to poll.
 */
export async function scheduleRoomDeletion(
  ctx: HearthContext,
  actor: AdminActor,
  roomId: string,
  opts: DeleteRoomOptions,
): Promise<string> {
  if (!(await getRoom(ctx.db, roomId))) throw notFound(`Unknown room id ${roomId}`);
  const running = (await roomDeletionsOf(ctx.db, roomId)).find(
    (d) => d.status === "scheduled" || d.status === "active",
  );
  if (running) throw new MatrixError(400, "M_UNKNOWN", `A deletion of ${roomId} is already in progress`);
  const deleteId = randomBytes(12).toString("base64url");
  await insertRoomDeletion(ctx.db, { deleteId, roomId, requestedBy: actor, ...opts }, ctx.clock());
  logAdminAction(ctx, actor, "delete_room", { roomId, deleteId, ...opts });
  void ctx.admin.jobs.kick(ctx);
  return deleteId;
}

/**
 * Shuts the room down: block it (if asked), make every local member leave through the room writer
 * (proper, signed leave events), drop its local aliases and directory entry, then purge its rows (if
 * asked). Progress and the outcome are written to the deletion's row for delete_status.
 */
export async function runRoomDeletion(ctx: HearthContext, d: RoomDeletion): Promise<void> {
  const now = (): number => ctx.clock();
  try {
    if (d.block) await blockRoom(ctx.db, d.roomId, d.requestedBy, now());
    const kicked: string[] = [];
    const failed: string[] = [];
    const members = await getRoomMembers(ctx.db, d.roomId, ["join", "invite", "knock"]);
    for (const m of members) {
      if (domainOf(m.userId) !== ctx.serverName) continue;
      if (await leaveRoomAs(ctx, d.roomId, m.userId)) kicked.push(m.userId);
      else failed.push(m.userId);
    }
    const aliases = (await roomAliases(ctx.db, d.roomId)).filter((a) => domainOf(a) === ctx.serverName);
    for (const alias of aliases) await deleteAlias(ctx.db, alias);
    await setRoomPublished(ctx.db, d.roomId, false);
    await updateRoomDeletion(
      ctx.db,
      d.deleteId,
      { kickedUsers: kicked, failedToKickUsers: failed, localAliases: aliases },
      now(),
    );
    if (d.purge) {
      if (failed.length > 0 && !d.forcePurge) {
        throw new Error(`Users are still joined to this room: ${failed.join(", ")}`);
      }
      const events = await purgeRoomRows(ctx.db, d.roomId);
      // The writer's cache must not describe a room whose rows are gone.
      ctx.rooms.writeCache.take(d.roomId);
      ctx.log.info({ roomId: d.roomId, events }, "room purged");
    }
    await updateRoomDeletion(ctx.db, d.deleteId, { status: "complete" }, now());
  } catch (err) {
    ctx.log.warn({ err, roomId: d.roomId, deleteId: d.deleteId }, "room deletion failed");
    const error = err instanceof Error ? err.message : String(err);
    await updateRoomDeletion(ctx.db, d.deleteId, { status: "failed", error }, now());
  }
}

/** Synapse's delete status object. */
export function deletionStatusJson(d: RoomDeletion): Record<string, unknown> {
  return {
    delete_id: d.deleteId,
    room_id: d.roomId,
    status: d.status,
    ...(d.status === "failed" && d.error !== null ? { error: d.error } : {}),
    shutdown_room: {
      kicked_users: d.kickedUsers,
      failed_to_kick_users: d.failedToKickUsers,
      local_aliases: d.localAliases,
      new_room_id: null,
    },
  };
}

export async function deletionStatus(ctx: HearthContext, deleteId: string): Promise<RoomDeletion> {
  const d = await getRoomDeletion(ctx.db, deleteId);
  if (!d) throw notFound(`delete id '${deleteId}' not found`);
  return d;
}

export async function deletionStatusesOfRoom(ctx: HearthContext, roomId: string): Promise<RoomDeletion[]> {
  const all = await roomDeletionsOf(ctx.db, roomId);
  if (all.length === 0) throw notFound(`No delete task for room_id '${roomId}' found`);
  return all;
}
