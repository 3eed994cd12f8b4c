import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { accountDataChanges, roomAccountData, type AccountDataRow } from "../storage/sync/account-data.ts";
import { presenceChanges, presenceOf } from "../storage/sync/presence.ts";
import { receiptChanges } from "../storage/sync/receipts.ts";
import { newlySharedUsers, usersSharingRooms } from "../storage/sync/shared-rooms.ts";
import { membershipsAt, membershipsAtStream, roomSummaries } from "../storage/sync/sync-rooms.ts";
import { allowsEvent, allowsRoomEvent, type EventFilter } from "./filter.ts";
import { SyncEventFormatter } from "./format-events.ts";
import { invitedRoomSection } from "./invited-room.ts";
import {
  joinedRoomSection,
  leftRoomSection,
  summaryJson,
  timelineWindow,
  type RoomSectionContext,
} from "./room-sections.ts";
import { planRooms, type RoomPlan } from "./room-plan.ts";
import { StateGroups } from "./room-state.ts";
import { loadTimelines } from "./room-timeline.ts";
import { presenceContent } from "./presence.ts";
import { deviceListDelta } from "../e2ee/device-lists.ts";
import type { SyncRequest } from "./sync-request.ts";
import { toDeviceSection } from "./to-device.ts";
import { formatSyncToken, type SyncToken } from "./tokens.ts";

type ComputeContext = Pick<HearthContext, "db" | "streams" | "clock" | "sync" | "rooms">;

export interface SyncResult {
  /** Without the device's key counts, which are read only for a body that is sent (long-poll.ts). */
  body: JsonObject;
  /** Nothing for the client: a long-poll keeps waiting. */
  empty: boolean;
  /** The rooms the user is joined to at the snapshot (whose changes a long-poll waits for). */
  joinedRoomIds: string[];
}

/** Rooms assembled at once; each takes a few queries, and the pool is shared with everything else. */
const ROOM_CONCURRENCY = 4;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The positions every stream is read up to in this sync: persisted-up-to, never beyond (invariant 3). */
export function snapshotPositions(ctx: Pick<HearthContext, "streams" | "sync">): SyncToken {
  return {
    events: ctx.streams.events.persistedUpTo,
    account_data: ctx.streams.account_data.persistedUpTo,
    receipts: ctx.streams.receipts.persistedUpTo,
    typing: ctx.sync.typing.currentPosition,
    presence: ctx.streams.presence.persistedUpTo,
    to_device: ctx.streams.to_device.persistedUpTo,
    device_lists: ctx.streams.device_lists.persistedUpTo,
  };
}

function limited<T>(items: T[], filter: EventFilter): T[] {
  return filter.limit === undefined ? items : items.slice(-filter.limit);
}

function accountDataEvents(rows: readonly AccountDataRow[]): JsonObject[] {
  return rows.map((r) => ({ type: r.type, content: JSON.parse(r.content) as JsonObject }));
}

/**
 * One /sync computation at a fixed snapshot of stream positions. Long-polling (sync.ts) repeats it
 * when something changes; it holds no state between calls.
 */
export async function computeSync(
  ctx: ComputeContext,
  req: SyncRequest,
  upTo: SyncToken,
): Promise<SyncResult> {
  const since = req.since;
  const filter = req.filter;
  // A stream the client is already up to date on needs no query (most wake-ups move one stream).
  const moved = (stream: keyof SyncToken): boolean => !since || since[stream] !== upTo[stream];
  const { now, changes, departed } =
    since && moved("events")
      ? await ctx.sync.reads.membershipsAndChanges(req.userId, since.events, upTo.events)
      : { now: await membershipsAt(ctx.db, req.userId, upTo.events), changes: [], departed: [] };
  const atSince = since
    ? await membershipsAtStream(ctx.db, req.userId, [...new Set(changes.map((c) => c.roomId))], since.events)
    : undefined;
  const plans = planRooms({
    now,
    atSince,
    changes,
    since: since?.events,
    fullState: req.fullState,
    roomFilter: filter.room,
  });

  const sectionRoomIds = plans.filter((p) => p.kind === "join" || p.kind === "leave").map((p) => p.roomId);
  const incremental = plans.filter((p) => p.kind === "join" && !p.full).map((p) => p.roomId);
  const full = plans.filter((p) => p.kind === "join" && p.full).map((p) => p.roomId);
  // Sections shown in full (initial sync, newly joined, full_state) carry all of the room's receipts
  // and account data, as a client starting the room over needs; the others carry what changed.
  const inFull = new Set(
    plans.filter((p) => (p.kind === "join" || p.kind === "leave") && p.full).map((p) => p.roomId),
  );
  const [receiptDelta, receiptsAll, accountData, accountDataAll, summaries] = await Promise.all([
    since && moved("receipts")
      ? receiptChanges(ctx.db, incremental, req.userId, since.receipts, upTo.receipts)
      : [],
    receiptChanges(ctx.db, full, req.userId, undefined, upTo.receipts),
    moved("account_data")
      ? accountDataChanges(ctx.db, req.userId, since?.account_data, upTo.account_data)
      : [],
    since ? roomAccountData(ctx.db, req.userId, [...inFull], upTo.account_data) : [],
    // Summaries for incremental sections are added below, only where membership changed.
    roomSummaries(ctx.db, full, req.userId),
  ]);
  const receiptsByRoom = groupBy([...receiptDelta, ...receiptsAll], (r) => r.roomId);
  const roomAccountDataRows = [
    ...accountData.filter(
      (r) => r.roomId !== undefined && sectionRoomIds.includes(r.roomId) && !(since && inFull.has(r.roomId)),
    ),
    ...accountDataAll,
  ];
  const accountDataByRoom = groupBy(roomAccountDataRows, (r) => r.roomId as string);

  const sectionCtx: RoomSectionContext = {
    ctx,
    req,
    upTo,
    groups: new StateGroups(ctx),
    formatter: new SyncEventFormatter(ctx, { userId: req.userId, deviceId: req.deviceId, filter }),
  };
  // Incremental rooms have no new events when the events stream has not moved, or when nothing was
  // written to them since: no window to read.
  const windows = plans.flatMap((p) =>
    (p.kind === "join" &&
      (p.full ||
        (moved("events") && (!since || ctx.rooms.activity.mayHaveEventsAfter(p.roomId, since.events))))) ||
    p.kind === "leave"
      ? [timelineWindow(req, upTo, p)]
      : [],
  );
  const timelines = await loadTimelines(ctx, windows, req.deviceId);
  // Full sections need their whole state at the start (or end) of the timeline: load it in one go.
  const fullGroups = plans.flatMap((p) => {
    const events = p.kind === "join" && p.full ? timelines.get(p.roomId)?.events : undefined;
    const group = req.useStateAfter ? events?.at(-1)?.stateGroupAfter : events?.[0]?.stateGroupBefore;
    return group === undefined || group === null ? [] : [group];
  });
  await sectionCtx.groups.preload(fullGroups);
  const join: JsonObject = {};
  const leave: JsonObject = {};
  const invite: JsonObject = {};
  const knock: JsonObject = {};
  const summaryNeeded: string[] = [];
  await mapLimit(plans, ROOM_CONCURRENCY, async (plan: RoomPlan) => {
    const roomData = accountDataEvents(
      (accountDataByRoom.get(plan.roomId) ?? []).filter((r) =>
        allowsRoomEvent(filter.room.accountData, { type: r.type, roomId: plan.roomId }),
      ),
    );
    if (plan.kind === "join") {
      const built = await joinedRoomSection(sectionCtx, plan, {
        receipts: receiptsByRoom.get(plan.roomId) ?? [],
        accountData: roomData,
        summary: summaries.get(plan.roomId),
        timeline: timelines.get(plan.roomId),
      });
      if (built) {
        join[plan.roomId] = built.section;
        if (!plan.full && built.membersChanged) summaryNeeded.push(plan.roomId);
      }
    } else if (plan.kind === "leave") {
      const timeline = timelines.get(plan.roomId);
      if (timeline) leave[plan.roomId] = await leftRoomSection(sectionCtx, plan, roomData, timeline);
    } else {
      const section = await invitedRoomSection(ctx, plan);
      (plan.kind === "invite" ? invite : knock)[plan.roomId] = section;
    }
  });

  await sectionCtx.formatter.format();
  // The summary may be left out when unchanged (spec); it changes only with member events.
  for (const [roomId, summary] of await roomSummaries(ctx.db, summaryNeeded, req.userId)) {
    (join[roomId] as JsonObject).summary = summaryJson(summary);
  }

  const presence = await presenceEvents(ctx, req, since, upTo, {
    membersChanged: summaryNeeded,
    newlyJoined: since ? full : [],
  });
  const globalData = limited(
    accountDataEvents(
      accountData.filter((r) => r.roomId === undefined && allowsEvent(filter.accountData, { type: r.type })),
    ),
    filter.accountData,
  );

  const joinedRoomIds = [...now.values()].filter((m) => m.membership === "join").map((m) => m.roomId);
  const [toDevice, deviceLists] = await Promise.all([
    toDeviceSection(ctx, req, upTo),
    since
      ? deviceListDelta(ctx, req.userId, since, upTo, { joined: joinedRoomIds, changes, departed })
      : { changed: [], left: [] },
  ]);

  const rooms: JsonObject = {};
  if (Object.keys(join).length > 0) rooms.join = join;
  if (Object.keys(invite).length > 0) rooms.invite = invite;
  if (Object.keys(leave).length > 0) rooms.leave = leave;
  if (Object.keys(knock).length > 0) rooms.knock = knock;
  const body: JsonObject = {
    next_batch: formatSyncToken({ ...upTo, to_device: toDevice.position }),
    rooms,
    presence: { events: presence },
    account_data: { events: globalData },
    to_device: { events: toDevice.events },
    device_lists: { changed: deviceLists.changed, left: deviceLists.left },
  };
  const empty =
    Object.keys(rooms).length === 0 &&
    presence.length === 0 &&
    globalData.length === 0 &&
    toDevice.events.length === 0 &&
    deviceLists.changed.length === 0 &&
    deviceLists.left.length === 0;
  return { body, empty, joinedRoomIds };
}

/**
 * Presence of the users sharing a room with the syncing user (and their own): what changed since the
 * last sync, plus the current presence of users who newly share a room (a join in one of the user's
 * rooms, or the user joining theirs), whose presence the client has never been told.
 */
async function presenceEvents(
  ctx: ComputeContext,
  req: SyncRequest,
  since: SyncToken | undefined,
  upTo: SyncToken,
  rooms: { membersChanged: readonly string[]; newlyJoined: readonly string[] },
): Promise<JsonObject[]> {
  const filter = req.filter.presence;
  if (!allowsEvent(filter, { type: "m.presence" })) return [];
  const movedPresence = !since || since.presence !== upTo.presence;
  const [changed, fresh] = await Promise.all([
    movedPresence
      ? usersSharingRooms(ctx.db, req.userId).then((users) =>
          presenceChanges(ctx.db, [...users, req.userId], since?.presence, upTo.presence),
        )
      : [],
    since && (rooms.membersChanged.length > 0 || rooms.newlyJoined.length > 0)
      ? newlySharedUsers(ctx.db, rooms.membersChanged, rooms.newlyJoined, since.events, upTo.events).then(
          (users) => presenceOf(ctx.db, users, upTo.presence),
        )
      : [],
  ]);
  const byUser = new Map([...fresh, ...changed].map((r) => [r.userId, r]));
  const now = ctx.clock();
  const events = [...byUser.values()]
    .sort((a, b) => a.streamId - b.streamId)
    .filter((r) => allowsEvent(filter, { type: "m.presence", sender: r.userId }))
    .map((r) => ({ type: "m.presence", sender: r.userId, content: presenceContent(r, now) }));
  return limited(events, filter);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(item);
  }
  return out;
}
