import { domainOf } from "../../core/auth/identifiers.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import { stateTupleKey } from "../../core/state-key.ts";
import type { HearthContext } from "../../context.ts";
import { forbidden, notFound } from "../../errors.ts";
import { roomVersions } from "../../rooms/room-versions.ts";
import { parseHistoryVisibility } from "../../rooms/visibility.ts";
import { joinedServers } from "../../storage/rooms/directory.ts";
import { getEvents, type StoredEvent } from "../../storage/rooms/events.ts";
import { roomMembersOfServer } from "../../storage/rooms/server-members.ts";
import { lookupStateEntries } from "../../storage/rooms/state-lookup.ts";
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
 * History visibility for a server (spec server-server: servers get what their users could see): an
 * event is visible when history at it is world_readable, when the server had a user joined (or
 * invited, for `invited`) in the state at it (after it, so a server sees its own join), or, for
 * `shared`, when the server is in the room now. Outliers carry no state: visible to servers in the
 * room. Decided for many events of one room at
 * once, reading only the entries that matter (history visibility and the server's users' memberships).
 */
export async function visibleToServer(
  ctx: HearthContext,
  roomId: string,
  events: readonly StoredEvent[],
  server: string,
): Promise<Set<string>> {
  const visible = new Set<string>();
  const inRoomNow = await isServerInRoom(ctx, roomId, server);
  const users = (await roomMembersOfServer(ctx.db, roomId, server)).filter((u) => domainOf(u) === server);
  const groups = events.flatMap((e) => (e.stateGroupAfter === null ? [] : [e.stateGroupAfter]));
  const keys = [
    { type: "m.room.history_visibility", stateKey: "" },
    ...users.map((u) => ({ type: "m.room.member", stateKey: u })),
  ];
  const entries = await lookupStateEntries(ctx.db, groups, keys);
  const ids = new Set<string>();
  for (const m of entries.values()) for (const id of m.values()) ids.add(id);
  const stateEvents = await getEvents(ctx.db, [...ids]);
  const hvKey = stateTupleKey("m.room.history_visibility", "");
  for (const ev of events) {
    if (ev.stateGroupAfter === null) {
      if (inRoomNow) visible.add(ev.eventId);
      continue;
    }
    const state = entries.get(ev.stateGroupAfter) ?? new Map<string, string>();
    const hvId = state.get(hvKey);
    const hv = parseHistoryVisibility(hvId === undefined ? undefined : stateEvents.get(hvId)?.pdu.content);
    const memberships = users.map((u) => {
      const id = state.get(stateTupleKey("m.room.member", u));
      return id === undefined ? undefined : stateEvents.get(id)?.pdu.content.membership;
    });
    if (
      hv === "world_readable" ||
      memberships.includes("join") ||
      (hv === "invited" && memberships.includes("invite")) ||
      (hv === "shared" && inRoomNow)
    ) {
      visible.add(ev.eventId);
    }
  }
  return visible;
}

export async function maySeeEvent(ctx: HearthContext, ev: StoredEvent, server: string): Promise<boolean> {
  return (await visibleToServer(ctx, ev.roomId, [ev], server)).has(ev.eventId);
}
