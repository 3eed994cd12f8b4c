import type { HearthContext } from "../context.ts";
import { getEvent } from "../storage/rooms/events.ts";
import type { JsonObject } from "../core/json.ts";
import { formatGap, gapBefore } from "../rooms/pagination-token.ts";
import { latestJoinStreams } from "../storage/rooms/membership-history.ts";
import { positionOf } from "../storage/rooms/timeline.ts";
import type { ReceiptRow } from "../storage/sync/receipts.ts";
import type { RoomSummaryRow } from "../storage/sync/sync-rooms.ts";
import { ephemeralEvents } from "./ephemeral.ts";
import { timelineLimit } from "./filter.ts";
import type { SyncEventFormatter } from "./format-events.ts";
import type { RoomPlan } from "./room-plan.ts";
import { roomState, type RoomState, type StateGroups } from "./room-state.ts";
import type { Timeline, TimelineWindow } from "./room-timeline.ts";
import type { SyncRequest } from "./sync-request.ts";
import { formatSyncToken, type SyncToken } from "./tokens.ts";

export interface RoomSectionContext {
  ctx: Pick<HearthContext, "db" | "streams" | "clock" | "sync">;
  req: SyncRequest;
  /** The sync's snapshot. */
  upTo: SyncToken;
  groups: StateGroups;
  /** Fills every section's events in one batch once all sections are built. */
  formatter: SyncEventFormatter;
}

export interface JoinedRoomExtras {
  receipts: readonly ReceiptRow[];
  accountData: JsonObject[];
  /** Known up front for full sections (lazy-loading needs the heroes); incremental ones get it later. */
  summary: RoomSummaryRow | undefined;
  /** The room's timeline, loaded with every other room's. */
  timeline: Timeline | undefined;
}

export function heroesOf(summary: RoomSummaryRow): string[] {
  return summary.heroes.length > 0 ? summary.heroes : summary.formerHeroes;
}

export function summaryJson(summary: RoomSummaryRow): JsonObject {
  return {
    "m.heroes": heroesOf(summary),
    "m.joined_member_count": summary.joined,
    "m.invited_member_count": summary.invited,
  };
}

const NO_TIMELINE: Timeline = {
  events: [],
  memberships: new Map(),
  limited: false,
  scannedDownTo: undefined,
  inWindow: false,
};

/**
 * Where /messages continues backwards: the gap just before the first returned event; with nothing
 * returned, a sync token at the point the scan stopped (or at the section's end).
 */
function prevBatch(timeline: Timeline, upTo: SyncToken, end: number): string {
  const first = timeline.events[0];
  if (first) return formatGap(gapBefore(positionOf(first)));
  const events = timeline.limited && timeline.scannedDownTo !== undefined ? timeline.scannedDownTo - 1 : end;
  return formatSyncToken({ ...upTo, events: Math.max(0, events) });
}

function stateSection(s: RoomSectionContext, state: RoomState): JsonObject {
  const events = s.formatter.stateSlot(state.events);
  // use_state_after: `state_after` replaces `state`, which must then be absent (spec).
  return s.req.useStateAfter ? { [s.req.stateAfterKey]: { events } } : { state: { events } };
}

function timelineSection(s: RoomSectionContext, timeline: Timeline, end: number): JsonObject {
  const events = s.formatter.timelineSlot(timeline.events, timeline.memberships);
  return { events, limited: timeline.limited, prev_batch: prevBatch(timeline, s.upTo, end) };
}

/** Member events the device now has in this room: those in state and those in the timeline. */
function sentMembers(state: RoomState, timeline: Timeline): Map<string, string> {
  const sent = new Map(state.members);
  for (const ev of timeline.events) {
    if (ev.pdu.type === "m.room.member" && typeof ev.pdu.state_key === "string") {
      sent.set(ev.pdu.state_key, ev.eventId);
    }
  }
  return sent;
}

/**
 * `rooms.join.{id}`, or undefined when an incremental sync has nothing new for the room. Full sections
 * (initial, full_state, newly joined) always go out. `membersChanged`: member events are in it.
 */
export async function joinedRoomSection(
  s: RoomSectionContext,
  plan: Extract<RoomPlan, { kind: "join" }>,
  extras: JoinedRoomExtras,
): Promise<{ section: JsonObject; membersChanged: boolean } | undefined> {
  const { ctx, req, upTo } = s;
  const filter = req.filter;
  const { roomId, userId } = { roomId: plan.roomId, userId: req.userId };
  const lazyCache =
    filter.room.state.lazyLoadMembers && !filter.room.state.includeRedundantMembers
      ? ctx.sync.lazyMembers
      : undefined;

  const timeline = extras.timeline ?? NO_TIMELINE;
  const touched = plan.full || timeline.inWindow;
  const summary = extras.summary;
  const heroes = summary ? heroesOf(summary) : [];
  if (plan.full) lazyCache?.forget(userId, req.deviceId, roomId);
  const state: RoomState = touched
    ? await roomState(ctx, s.groups, {
        roomId,
        userId,
        mode: plan.full ? "full" : "delta",
        sinceStream: req.since?.events,
        sinceGroup: timeline.sinceGroup,
        timeline: timeline.events,
        upTo: upTo.events,
        stateAfter: req.useStateAfter,
        filter: filter.room.state,
        heroes,
        alreadySent:
          lazyCache &&
          ((memberId, eventId) => lazyCache.wasSent(userId, req.deviceId, roomId, memberId, eventId)),
      })
    : { events: [], members: new Map() };
  const ephemeral = ephemeralEvents(ctx.sync.typing, {
    roomId,
    // A room shown in full is new to the client: who is typing there now, not what changed.
    sinceTyping: plan.full ? undefined : req.since?.typing,
    receipts: extras.receipts,
    filter: filter.room.ephemeral,
  });
  if (
    !plan.full &&
    timeline.events.length === 0 &&
    state.events.length === 0 &&
    ephemeral.length === 0 &&
    extras.accountData.length === 0
  ) {
    return undefined;
  }

  const section: JsonObject = {
    ...stateSection(s, state),
    timeline: timelineSection(s, timeline, upTo.events),
    ephemeral: { events: ephemeral },
    account_data: { events: extras.accountData },
    unread_notifications: { highlight_count: 0, notification_count: 0 },
  };
  if (summary) section.summary = summaryJson(summary);
  const members = sentMembers(state, timeline);
  lazyCache?.record(userId, req.deviceId, roomId, members);
  return { section, membersChanged: members.size > 0 };
}

/** The timeline window a joined or left room's section shows. */
export function timelineWindow(
  req: SyncRequest,
  upTo: SyncToken,
  plan: Extract<RoomPlan, { kind: "join" | "leave" }>,
): TimelineWindow {
  return {
    roomId: plan.roomId,
    userId: req.userId,
    after: plan.after,
    upTo: plan.kind === "leave" ? plan.upTo : upTo.events,
    limit: timelineLimit(req.filter),
    filter: req.filter.room.timeline,
    delta: !plan.full && plan.after !== undefined,
  };
}

/**
 * The state a never-joined user's leave section carries. `state` (before the timeline) is empty. But
 * `state_after` is the state at the timeline's end, so it includes the state the timeline changed, and
 * the only piece of it this user may see is their own membership: without it, clients that take state
 * from `state_after` alone (matrix-js-sdk) keep showing the rejected invite as pending.
 */
function ownMembershipAfter(req: SyncRequest, timeline: Timeline): RoomState {
  const own = req.useStateAfter
    ? timeline.events.findLast((ev) => ev.pdu.type === "m.room.member" && ev.pdu.state_key === req.userId)
    : undefined;
  if (!own) return { events: [], members: new Map() };
  return { events: [own], members: new Map([[req.userId, own.eventId]]) };
}

/**
 * The timeline with the user's leave added when it is out of band: an invite or knock to a room on
 * another server, rejected or retracted through it, leaves a leave event this server holds outside the
 * room's timeline (an outlier). The client must still see it end the invite, as a local rejection does.
 */
async function withOutOfBandLeave(
  ctx: RoomSectionContext["ctx"],
  plan: Extract<RoomPlan, { kind: "leave" }>,
  timeline: Timeline,
): Promise<Timeline> {
  if (timeline.events.some((ev) => ev.eventId === plan.eventId)) return timeline;
  const leave = await getEvent(ctx.db, plan.eventId);
  if (!leave?.outlier) return timeline;
  return {
    ...timeline,
    events: [...timeline.events, leave],
    memberships: new Map([...timeline.memberships, [leave.eventId, "leave"]]),
  };
}

/** `rooms.leave.{id}`: the timeline up to the leave (or ban), the state, and the room's account data. */
export async function leftRoomSection(
  s: RoomSectionContext,
  plan: Extract<RoomPlan, { kind: "leave" }>,
  accountData: JsonObject[],
  roomTimeline: Timeline,
): Promise<JsonObject> {
  const { ctx, req } = s;
  const timeline = await withOutOfBandLeave(ctx, plan, roomTimeline);
  // Someone who was only ever invited (or knocked) never had access to the room's state: rejecting
  // the invite must not reveal it. They get their own member events and nothing else.
  const everJoined = (await latestJoinStreams(ctx.db, req.userId, [plan.roomId])).has(plan.roomId);
  const state: RoomState = !everJoined
    ? ownMembershipAfter(req, timeline)
    : await roomState(ctx, s.groups, {
        roomId: plan.roomId,
        userId: req.userId,
        mode: plan.full ? "full" : "delta",
        sinceStream: req.since?.events,
        sinceGroup: timeline.sinceGroup,
        timeline: timeline.events,
        upTo: plan.upTo,
        stateAfter: req.useStateAfter,
        filter: req.filter.room.state,
        heroes: [],
      });
  return {
    ...stateSection(s, state),
    timeline: timelineSection(s, timeline, plan.upTo),
    account_data: { events: accountData },
  };
}
