import type { JsonObject } from "../../core/json.ts";
import { prevEventIds } from "../../core/pdu.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import type { HearthContext } from "../../context.ts";
import { forbidden, notFound } from "../../errors.ts";
import { federationPdu } from "../../rooms/build-event.ts";
import { getAuthChainIds } from "../../storage/rooms/auth-chain.ts";
import { getEvent, getEvents, type StoredEvent } from "../../storage/rooms/events.ts";
import { loadStateGroup } from "../../storage/rooms/state-groups.ts";
import { maySeeEvent, requireRoomForServer, requireServerInRoom, visibleToServer } from "./server-access.ts";

/** A stored event as it travels (v3+ without its derived event id). */
export function wirePdu(version: RoomVersion, ev: StoredEvent): JsonObject {
  return federationPdu(version, ev.pdu);
}

/** `GET /event/{eventId}`: the event, if `origin` may see it (ACL and history visibility). */
export async function eventForServer(
  ctx: HearthContext,
  eventId: string,
  origin: string,
): Promise<JsonObject> {
  const ev = await getEvent(ctx.db, eventId);
  if (!ev) throw notFound("Unknown event");
  const version = await requireRoomForServer(ctx, ev.roomId, origin);
  if (!(await maySeeEvent(ctx, ev, origin))) throw forbidden("You may not see this event");
  return { origin: ctx.serverName, origin_server_ts: ctx.clock(), pdus: [wirePdu(version, ev)] };
}

/** The event, stored in this room, that `origin` (in the room) asks about; 404 otherwise. */
async function roomEventFor(
  ctx: HearthContext,
  roomId: string,
  eventId: string,
  origin: string,
): Promise<{ version: RoomVersion; ev: StoredEvent }> {
  const version = await requireRoomForServer(ctx, roomId, origin);
  const ev = await getEvent(ctx.db, eventId);
  if (!ev || ev.roomId !== roomId) throw notFound("Unknown event");
  await requireServerInRoom(ctx, roomId, origin);
  if (!(await maySeeEvent(ctx, ev, origin))) throw forbidden("You may not see this event");
  return { version, ev };
}

async function eventsInOrder(ctx: HearthContext, ids: readonly string[]): Promise<StoredEvent[]> {
  const found = await getEvents(ctx.db, ids);
  return ids.flatMap((id) => found.get(id) ?? []);
}

/** `GET /event_auth/{roomId}/{eventId}`: the event's full auth chain. */
export async function eventAuthForServer(
  ctx: HearthContext,
  roomId: string,
  eventId: string,
  origin: string,
): Promise<JsonObject> {
  const { version, ev } = await roomEventFor(ctx, roomId, eventId, origin);
  const ids = await getAuthChainIds(ctx.db, [eventId]);
  // v12 events do not cite the create event, yet nothing in the chain can be checked without it.
  const createId = `$${roomId.slice(1)}`;
  if (version.roomIdFromCreateEvent && ev.eventId !== createId && !ids.includes(createId)) ids.push(createId);
  const chain = await eventsInOrder(ctx, ids);
  return { auth_chain: chain.map((e) => wirePdu(version, e)) };
}

/** The state before the event (ids) and the auth chain of that state. */
async function stateBefore(
  ctx: HearthContext,
  ev: StoredEvent,
): Promise<{ stateIds: string[]; authChainIds: string[] }> {
  if (ev.stateGroupBefore === null) throw notFound("No state is known at this event");
  const stateIds = [...(await loadStateGroup(ctx.db, ev.stateGroupBefore)).values()];
  return { stateIds, authChainIds: await getAuthChainIds(ctx.db, stateIds) };
}

/** `GET /state_ids/{roomId}?event_id=`. */
export async function stateIdsForServer(
  ctx: HearthContext,
  roomId: string,
  eventId: string,
  origin: string,
): Promise<JsonObject> {
  const { ev } = await roomEventFor(ctx, roomId, eventId, origin);
  const { stateIds, authChainIds } = await stateBefore(ctx, ev);
  return { pdu_ids: stateIds, auth_chain_ids: authChainIds };
}

/** `GET /state/{roomId}?event_id=`. */
export async function stateForServer(
  ctx: HearthContext,
  roomId: string,
  eventId: string,
  origin: string,
): Promise<JsonObject> {
  const { version, ev } = await roomEventFor(ctx, roomId, eventId, origin);
  const { stateIds, authChainIds } = await stateBefore(ctx, ev);
  return {
    pdus: (await eventsInOrder(ctx, stateIds)).map((e) => wirePdu(version, e)),
    auth_chain: (await eventsInOrder(ctx, authChainIds)).map((e) => wirePdu(version, e)),
  };
}

/**
 * Walks prev_events breadth-first from `from` (not included unless `includeStart`), stopping at
 * `stopAt`, below `minDepth` and after `limit` events; only events `origin` may see are returned.
 */
async function walkBack(
  ctx: HearthContext,
  roomId: string,
  origin: string,
  opts: {
    from: readonly string[];
    includeStart: boolean;
    stopAt: ReadonlySet<string>;
    limit: number;
    minDepth: number;
  },
): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  const seen = new Set<string>(opts.from);
  let frontier = [...opts.from];
  let first = true;
  while (frontier.length > 0 && out.length < opts.limit) {
    const events = await eventsInOrder(ctx, frontier);
    const next: string[] = [];
    for (const ev of events) {
      if (ev.roomId !== roomId) continue;
      if (!first || opts.includeStart) {
        if (opts.stopAt.has(ev.eventId) || ev.pdu.depth < opts.minDepth) continue;
        if (out.length >= opts.limit) break;
        out.push(ev);
      }
      for (const prev of prevEventIds(ev.pdu)) {
        if (seen.has(prev) || opts.stopAt.has(prev)) continue;
        seen.add(prev);
        next.push(prev);
      }
    }
    first = false;
    frontier = next;
  }
  const visible = await visibleToServer(ctx, roomId, out, origin);
  return out.filter((e) => visible.has(e.eventId));
}

/** `GET /backfill/{roomId}?v=&limit=`: from the `v` events (included) back through prev_events. */
export async function backfillForServer(
  ctx: HearthContext,
  roomId: string,
  from: readonly string[],
  limit: number,
  origin: string,
): Promise<JsonObject> {
  const version = await requireRoomForServer(ctx, roomId, origin);
  await requireServerInRoom(ctx, roomId, origin);
  const events = await walkBack(ctx, roomId, origin, {
    from,
    includeStart: true,
    stopAt: new Set(),
    limit,
    minDepth: 0,
  });
  return {
    origin: ctx.serverName,
    origin_server_ts: ctx.clock(),
    pdus: events.map((e) => wirePdu(version, e)),
  };
}

/** `POST /get_missing_events/{roomId}`: before `latest` (excluded), stopping at `earliest`. */
export async function missingEventsForServer(
  ctx: HearthContext,
  roomId: string,
  q: { earliest: readonly string[]; latest: readonly string[]; limit: number; minDepth: number },
  origin: string,
): Promise<JsonObject> {
  const version = await requireRoomForServer(ctx, roomId, origin);
  await requireServerInRoom(ctx, roomId, origin);
  const events = await walkBack(ctx, roomId, origin, {
    from: q.latest,
    includeStart: false,
    stopAt: new Set(q.earliest),
    limit: q.limit,
    minDepth: q.minDepth,
  });
  // Oldest first, as the requester will process them.
  events.sort((a, b) => a.pdu.depth - b.pdu.depth);
  return { events: events.map((e) => wirePdu(version, e)) };
}
