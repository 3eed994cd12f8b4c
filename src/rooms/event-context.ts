import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { notFound } from "../errors.ts";
import { getEvent, getEvents, type StoredEvent } from "../storage/rooms/events.ts";
import { loadStateGroup } from "../storage/rooms/state-groups.ts";
import { comparePositions, positionOf } from "../storage/rooms/timeline.ts";
import type { RoomEventFilter } from "../sync/filter.ts";
import { memberEventsAt } from "./lazy-members.ts";
import { formatGap, gapBefore } from "./pagination-token.ts";
import { requireRoomReadAccess } from "./read-access.ts";
import { filterAllows } from "./room-event-filter.ts";
import { serializeEvents } from "./serialize.ts";
import { scanTimeline } from "./timeline-scan.ts";
import { checkEventsVisibility } from "./visibility.ts";

type EventReadContext = Pick<HearthContext, "db" | "streams" | "clock" | "rooms">;

/** An event of the room's timeline that `userId` may see, or 404 (unknown and hidden look the same). */
export async function visibleTimelineEvent(
  ctx: EventReadContext,
  roomId: string,
  eventId: string,
  userId: string,
): Promise<{ event: StoredEvent; membership: string }> {
  const event = await getEvent(ctx.db, eventId);
  if (
    !event ||
    event.roomId !== roomId ||
    event.streamOrdering === null ||
    event.streamOrdering > ctx.streams.events.persistedUpTo
  ) {
    throw notFound("Event not found.");
  }
  const verdict = (await checkEventsVisibility(ctx, userId, [event])).get(eventId);
  if (!verdict?.visible) throw notFound("Event not found.");
  return { event, membership: verdict.membership };
}

/** GET /rooms/{roomId}/event/{eventId}: one event, redacted ones with unsigned.redacted_because. */
export async function roomEvent(
  ctx: EventReadContext,
  req: { roomId: string; eventId: string; userId: string; deviceId?: string },
): Promise<JsonObject> {
  const { event, membership } = await visibleTimelineEvent(ctx, req.roomId, req.eventId, req.userId);
  const [json] = await serializeEvents(ctx, [event], {
    userId: req.userId,
    deviceId: req.deviceId,
    memberships: new Map([[event.eventId, membership]]),
  });
  if (!json) throw notFound("Event not found.");
  return json;
}

export interface ContextRequest {
  roomId: string;
  eventId: string;
  userId: string;
  deviceId?: string;
  limit: number;
  filter: RoomEventFilter;
}

export interface ContextResponse {
  start: string;
  end: string;
  events_before: JsonObject[];
  event: JsonObject;
  events_after: JsonObject[];
  state: JsonObject[];
}

/**
 * GET /rooms/{roomId}/context/{eventId}: `limit` split between before (half, rounded down) and after;
 * the filter applies to both lists and to `state` but never to the event itself. `state` is the room
 * state at the last event returned; with lazy loading only the members who sent the returned events.
 */
export async function eventContext(ctx: EventReadContext, req: ContextRequest): Promise<ContextResponse> {
  const access = await requireRoomReadAccess(ctx, req.roomId, req.userId);
  const { event, membership } = await visibleTimelineEvent(ctx, req.roomId, req.eventId, req.userId);
  const beforeLimit = Math.floor(req.limit / 2);
  const at = positionOf(event);
  const departedAt = access.currentVisibility === "world_readable" ? undefined : access.departedAt;
  const afterBound = departedAt && comparePositions(departedAt, at) >= 0 ? departedAt : undefined;
  const base = { roomId: req.roomId, userId: req.userId, filter: req.filter };
  const [before, after] = await Promise.all([
    scanTimeline(ctx, { ...base, dir: "b", from: gapBefore(at), limit: beforeLimit }),
    departedAt && !afterBound
      ? undefined
      : scanTimeline(ctx, { ...base, dir: "f", from: at, bound: afterBound, limit: req.limit - beforeLimit }),
  ]);
  const afterEvents = after?.events ?? [];
  const memberships = new Map([
    ...before.memberships,
    ...(after?.memberships ?? []),
    [event.eventId, membership],
  ]);
  const all = [...before.events, event, ...afterEvents];
  const json = await serializeEvents(ctx, all, { userId: req.userId, deviceId: req.deviceId, memberships });
  const byId = new Map(json.map((ev) => [ev.event_id as string, ev]));
  const pick = (list: StoredEvent[]): JsonObject[] =>
    list.map((ev) => byId.get(ev.eventId)).filter((ev): ev is JsonObject => ev !== undefined);

  const last = afterEvents.at(-1) ?? event;
  const group = last.stateGroupAfter ?? last.stateGroupBefore;
  let stateEvents: StoredEvent[] = [];
  if (group !== null) {
    if (req.filter.lazyLoadMembers) {
      stateEvents = await memberEventsAt(ctx, group, new Set(all.map((ev) => ev.pdu.sender)));
    } else {
      const ids = [...(await loadStateGroup(ctx.db, group)).values()];
      const loaded = await getEvents(ctx.db, ids);
      stateEvents = ids.flatMap((id) => loaded.get(id) ?? []);
    }
  }
  return {
    start: formatGap(before.next),
    end: formatGap(after?.next ?? at),
    events_before: pick(before.events),
    event: byId.get(event.eventId) ?? {},
    events_after: pick(afterEvents),
    state: await serializeEvents(
      ctx,
      stateEvents.filter((ev) => filterAllows(req.filter, ev)),
      { userId: req.userId, bundle: "none" },
    ),
  };
}
