import type { HearthContext } from "../context.ts";
import { getRoomVersion } from "../core/room-versions.ts";
import { invalidParam, notFound } from "../errors.ts";
import { toClientEvent } from "../rooms/client-event.ts";
import { blockRoom, roomBlockedBy, unblockRoom } from "../storage/admin/blocked-rooms.ts";
import {
  getAdminRoom,
  joinedLocalDevices,
  listRooms,
  roomForgottenByAllLocals,
  type AdminRoomRow,
  type RoomQuery,
} from "../storage/admin/rooms.ts";
import { getCurrentStateIds } from "../storage/rooms/current-state.ts";
import { getEvents } from "../storage/rooms/events.ts";
import { getRoomMembers } from "../storage/rooms/memberships.ts";
import { logAdminAction, type AdminActor } from "./audit.ts";

/** A room id from a path or command line. */
export function roomIdParam(raw: string): string {
  if (!raw.startsWith("!") || raw.includes("\u0000") || raw.length > 255) {
    throw invalidParam(`${raw} is not a legal room ID`);
  }
  return raw;
}

/** An entry of GET /v1/rooms (Synapse's room object). */
export function roomListJson(r: AdminRoomRow): Record<string, unknown> {
  return {
    room_id: r.roomId,
    name: r.name,
    canonical_alias: r.canonicalAlias,
    joined_members: r.joinedMembers,
    joined_local_members: r.joinedLocalMembers,
    version: r.version,
    creator: r.creator,
    encryption: r.encryption,
    federatable: r.federatable,
    public: r.public,
    join_rules: r.joinRules,
    guest_access: r.guestAccess,
    history_visibility: r.historyVisibility,
    state_events: r.stateEvents,
    room_type: r.roomType,
  };
}

export function searchRooms(ctx: HearthContext, q: RoomQuery): ReturnType<typeof listRooms> {
  return listRooms(ctx.db, ctx.serverName, q);
}

export async function requireRoom(ctx: HearthContext, roomId: string): Promise<AdminRoomRow> {
  const room = await getAdminRoom(ctx.db, ctx.serverName, roomId);
  if (!room) throw notFound("Room not found");
  return room;
}

/** GET /v1/rooms/{roomId}. */
export async function roomDetails(ctx: HearthContext, roomId: string): Promise<Record<string, unknown>> {
  const room = await requireRoom(ctx, roomId);
  return {
    ...roomListJson(room),
    topic: room.topic,
    avatar: room.avatar,
    joined_local_devices: await joinedLocalDevices(ctx.db, ctx.serverName, roomId),
    forgotten: await roomForgottenByAllLocals(ctx.db, ctx.serverName, roomId),
    tombstoned: room.tombstoned,
    replacement_room: room.tombstonedTo,
  };
}

/** Joined members, as Synapse's /members lists them. */
export async function roomMembers(ctx: HearthContext, roomId: string): Promise<string[]> {
  await requireRoom(ctx, roomId);
  return (await getRoomMembers(ctx.db, roomId, ["join"])).map((m) => m.userId);
}

/** Current state events in the client format, optionally of one type. */
export async function roomState(ctx: HearthContext, roomId: string, type?: string): Promise<unknown[]> {
  const room = await requireRoom(ctx, roomId);
  const version = getRoomVersion(room.version);
  if (!version) throw new Error(`room ${roomId} has unknown version ${room.version}`);
  const ids = [...(await getCurrentStateIds(ctx.db, roomId)).values()];
  const events = await getEvents(ctx.db, ids);
  const now = ctx.clock();
  return [...events.values()]
    .filter((ev) => type === undefined || ev.pdu.type === type)
    .map((ev) => toClientEvent(ev, { now, version }));
}

export async function blockStatus(ctx: HearthContext, roomId: string): Promise<Record<string, unknown>> {
  const by = await roomBlockedBy(ctx.db, roomId);
  return by === undefined ? { block: false } : { block: true, user_id: by };
}

export async function setRoomBlocked(
  ctx: HearthContext,
  actor: AdminActor,
  roomId: string,
  block: boolean,
): Promise<void> {
  if (block) await blockRoom(ctx.db, roomId, actor, ctx.clock());
  else await unblockRoom(ctx.db, roomId);
  logAdminAction(ctx, actor, block ? "block_room" : "unblock_room", { roomId });
}
