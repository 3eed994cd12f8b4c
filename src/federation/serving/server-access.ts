import { domainOf } from "../../core/auth/identifiers.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import { splitStateTupleKey, stateTupleKey } from "../../core/state-key.ts";
import type { HearthContext } from "../../context.ts";
import { forbidden, notFound } from "../../errors.ts";
import { roomVersions } from "../../rooms/room-versions.ts";
import { parseHistoryVisibility } from "../../rooms/visibility.ts";
import { joinedServers } from "../../storage/rooms/directory.ts";
import { getEvent, type StoredEvent } from "../../storage/rooms/events.ts";
import { loadStateGroup } from "../../storage/rooms/state-groups.ts";
import { isServerAllowedInRoom } from "../inbound/room-acl.ts";

/** The room's version, for a room this server knows and whose ACL admits `origin` (else 404 / 403). */
export async function requireRoomForServer(
  ctx: HearthContext,
  roomId: string,
  origin: string,
): Promise<RoomVersion> {
  const version = (await roomVersions(ctx, [roomId])).get(roomId);
  if (!version) throw notFound(`Unknown room ${roomId}`);
  if (!(await isServerAllowedInRoom(ctx, roomId, origin)))
    throw forbidden("Server is banned by the room's ACL");
  return version;
}

/** Whether `server` has a user joined to the room now. */
export async function isServerInRoom(ctx: HearthContext, roomId: string, server: string): Promise<boolean> {
  return (await joinedServers(ctx.db, roomId)).includes(server);
}

export async function requireServerInRoom(ctx: HearthContext, roomId: string, server: string): Promise<void> {
  if (!(await isServerInRoom(ctx, roomId, server))) throw forbidden(`${server} is not in room ${roomId}`);
}

/**
 * History visibility for a server (spec server-server: servers get what their users could see): the
 * event is visible when history at it is world_readable, when the server had a user joined (or
 * invited, for `invited`) in the state before it, or, for `shared`, when the server is in the room now.
 * Outliers carry no state: visible to servers in the room.
 */
export async function maySeeEvent(ctx: HearthContext, ev: StoredEvent, server: string): Promise<boolean> {
  if (ev.stateGroupBefore === null) return isServerInRoom(ctx, ev.roomId, server);
  const state = await loadStateGroup(ctx.db, ev.stateGroupBefore);
  const hvId = state.get(stateTupleKey("m.room.history_visibility", ""));
  const hv = parseHistoryVisibility(hvId ? (await getEvent(ctx.db, hvId))?.pdu.content : undefined);
  if (hv === "world_readable") return true;
  const memberIds: string[] = [];
  for (const [key, id] of state) {
    const [type, stateKey] = splitStateTupleKey(key);
    if (type === "m.room.member" && domainOf(stateKey) === server) memberIds.push(id);
  }
  for (const id of memberIds) {
    const membership = (await getEvent(ctx.db, id))?.pdu.content.membership;
    if (membership === "join" || (hv === "invited" && membership === "invite")) return true;
  }
  return hv === "shared" && (await isServerInRoom(ctx, ev.roomId, server));
}
