import type { IdentifiedPdu } from "../core/pdu.ts";
import { authEventIds, prevEventIds } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { StateTupleKey } from "../core/state-key.ts";
import type { HearthContext } from "../context.ts";
import { recordOutbound } from "../federation/sender/outbox-writer.ts";
import { checkAuth } from "../core/auth-rules.ts";
import { authStateKeys, checkAgainstAuthEvents } from "../core/auth/received-event.ts";
import type { Db } from "../storage/database.ts";
import { getCurrentStateIdsFor } from "../storage/rooms/current-state-writes.ts";
import { getEvents, type StoredEvent } from "../storage/rooms/events.ts";
import { getForwardExtremities } from "../storage/rooms/forward-extremities.ts";
import { deleteOutlier } from "../storage/rooms/outlier-writes.ts";
import { loadStateGroup } from "../storage/rooms/state-groups.ts";
import { persistEvent } from "./persist-event.ts";
import { resolveStoredStates } from "./resolve-stored-states.ts";
import { withRoomWrite } from "./room-write.ts";
import {
  computeStateBefore,
  MissingPrevStateError,
  stateBeforeFromMap,
  type StateBefore,
} from "./state-before.ts";

/** An event received from another server, already past the format, signature and hash checks. */
export interface RemoteEventInput {
  roomId: string;
  version: RoomVersion;
  event: IdentifiedPdu;
  /** Set when the event is kept only as a rejected event (e.g. an over-long id in a lenient version). */
  rejectedReason?: string;
  /** State after prev events this server has no state for (fetched with state_ids), by prev event id. */
  prevStates?: ReadonlyMap<string, ReadonlyMap<StateTupleKey, string>>;
  /**
   * Send it on to the other servers in the room: events that came to us as the resident server
   * (send_join, send_leave, send_knock), whose origin relies on us to broadcast them.
   */
  fanOut?: boolean;
  /**
   * Fetched with backfill: stored as history at this (negative) stream ordering, never soft-failed
   * (current state does not judge the past), never current state, nobody woken.
   */
  backfill?: { streamOrdering: number };
}

export type RemoteEventOutcome =
  | { status: "accepted" | "soft_failed" }
  | { status: "rejected"; reason: string }
  /** Already stored (not as an outlier) before: nothing was written; `reason` if it was rejected. */
  | { status: "known"; reason?: string }
  /** Auth events or prev state missing: nothing was written. */
  | { status: "missing"; reason: string };

export interface OutlierInput {
  event: IdentifiedPdu;
  rejectedReason?: string;
}

/** The room's create event: cited by v1–v11 events, implied by the room id in v12. */
/** Where the room's create event is: its id in versions that derive the room id from it. */
function createEventId(roomId: string, version: RoomVersion): string | undefined {
  return version.roomIdFromCreateEvent ? `$${roomId.slice(1)}` : undefined;
}

function roomCreateEvent(
  roomId: string,
  version: RoomVersion,
  authEvents: readonly IdentifiedPdu[],
  stored: ReadonlyMap<string, StoredEvent>,
): IdentifiedPdu | undefined {
  const id = createEventId(roomId, version);
  if (id !== undefined) return stored.get(id)?.pdu;
  return authEvents.find((e) => e.type === "m.room.create" && e.state_key === "");
}

/**
 * Stores events known without their state (auth chains, state fetched to close a gap), each already
 * checked against its own auth events by the caller; ones already stored are left alone.
 */
export async function storeOutliers(
  ctx: HearthContext,
  roomId: string,
  version: RoomVersion,
  events: readonly OutlierInput[],
): Promise<void> {
  if (events.length === 0) return;
  await withRoomWrite(ctx, roomId, async (tx) => {
    await persistOutliers(tx, roomId, version, events, ctx.clock());
    return { value: undefined };
  });
}

/** `storeOutliers` inside a room write the caller holds (e.g. a join storing the room's state with it). */
export async function persistOutliers(
  tx: Db,
  roomId: string,
  version: RoomVersion,
  events: readonly OutlierInput[],
  now: number,
): Promise<void> {
  const known = await getEvents(
    tx,
    events.map((e) => e.event.event_id),
  );
  for (const { event, rejectedReason } of events) {
    if (known.has(event.event_id)) continue;
    await persistEvent(tx, {
      roomId,
      version,
      event,
      before: undefined,
      streamOrdering: null,
      rejectedReason: rejectedReason ?? null,
      now,
    });
  }
}

/** The state before the event: the state after each prev event, resolved when there are several. */
async function stateBeforeRemote(
  tx: Db,
  input: RemoteEventInput,
  extremities: readonly string[],
  stored: ReadonlyMap<string, StoredEvent>,
): Promise<StateBefore> {
  const { roomId, version, event } = input;
  const prevIds = prevEventIds(event);
  const prevs = new Map(prevIds.flatMap((id) => (stored.has(id) ? [[id, stored.get(id)!] as const] : [])));
  if (prevIds.every((id) => prevs.get(id)?.stateGroupAfter != null)) {
    return computeStateBefore(tx, roomId, version, prevIds, extremities, prevs);
  }
  const sets: Map<StateTupleKey, string>[] = [];
  let deltaBase: number | undefined;
  for (const id of prevIds) {
    const group = prevs.get(id)?.stateGroupAfter;
    if (group != null) {
      deltaBase ??= group;
      sets.push(await loadStateGroup(tx, group));
      continue;
    }
    const fetched = input.prevStates?.get(id);
    if (!fetched) throw new MissingPrevStateError(`no state after ${id}`);
    sets.push(new Map(fetched));
  }
  const resolved = await resolveStoredStates(tx, version, sets);
  return stateBeforeFromMap(resolved, { deltaBase, isCurrent: false, prevEvents: prevs });
}

async function authAgainst(
  tx: Db,
  version: RoomVersion,
  event: IdentifiedPdu,
  ids: ReadonlyMap<StateTupleKey, string>,
): Promise<string | undefined> {
  const events = await getEvents(tx, [...ids.values()]);
  const state = new Map<StateTupleKey, IdentifiedPdu>();
  for (const [k, id] of ids) {
    const ev = events.get(id);
    if (ev) state.set(k, ev.pdu);
  }
  const result = checkAuth(version, event, state);
  return result.allowed ? undefined : result.reason;
}

/**
 * Steps 4–6 of the checks on receipt, then storage, in one room write: auth against the cited auth
 * events (reject), against the state before the event (reject), against current state (soft fail).
 * Rejected and soft-failed events are stored but never become forward extremities or current state.
 * An event stored earlier as an outlier is stored again, now with its state.
 */
export async function acceptRemoteEvent(
  ctx: HearthContext,
  input: RemoteEventInput,
): Promise<RemoteEventOutcome> {
  const { roomId, version, event } = input;
  return withRoomWrite<RemoteEventOutcome>(ctx, roomId, async (tx, position) => {
    const authIds = authEventIds(event);
    // The event itself, its auth and prev events and the create event, in one round trip: the room
    // is locked meanwhile, so every one saved shortens the wait of the room's next event.
    const createId = createEventId(roomId, version);
    const stored = await getEvents(tx, [
      event.event_id,
      ...authIds,
      ...prevEventIds(event),
      ...(createId === undefined ? [] : [createId]),
    ]);
    const existing = stored.get(event.event_id);
    if (existing && !existing.outlier) {
      return { value: { status: "known", reason: existing.rejectedReason ?? undefined } };
    }
    const auth = stored;
    const missingAuth = authIds.filter((id) => !auth.has(id));
    if (missingAuth.length > 0) {
      return { value: { status: "missing", reason: `unknown auth events: ${missingAuth.join(", ")}` } };
    }
    const authEvents = authIds.map((id) => auth.get(id)!.pdu);
    const rejectedAuth = new Set(authIds.filter((id) => auth.get(id)!.rejectedReason !== null));
    const create =
      event.type === "m.room.create" ? undefined : roomCreateEvent(roomId, version, authEvents, stored);
    let reason = input.rejectedReason;
    if (reason === undefined) {
      const result = checkAgainstAuthEvents(version, event, authEvents, rejectedAuth, create);
      if (!result.allowed) reason = `auth events: ${result.reason}`;
    }

    const extremities = (await getForwardExtremities(tx, roomId)).map((e) => e.eventId);
    let before: StateBefore | undefined;
    try {
      before = await stateBeforeRemote(tx, input, extremities, stored);
    } catch (e) {
      if (!(e instanceof MissingPrevStateError)) throw e;
      // A rejected event needs no state; anything else must wait until its prev state is known.
      if (reason === undefined) return { value: { status: "missing", reason: e.message } };
    }

    const keys = authStateKeys(version, event);
    if (reason === undefined && before) {
      const failure = await authAgainst(tx, version, event, await before.lookup(keys));
      if (failure !== undefined) reason = `state before the event: ${failure}`;
    }
    let softFailed = false;
    if (reason === undefined && before && !before.isCurrent && !input.backfill) {
      softFailed =
        (await authAgainst(tx, version, event, await getCurrentStateIdsFor(tx, roomId, keys))) !== undefined;
    }
    if (existing) await deleteOutlier(tx, event.event_id);
    const outcome = await persistEvent(tx, {
      roomId,
      version,
      event,
      before,
      streamOrdering: input.backfill?.streamOrdering ?? position,
      rejectedReason: reason ?? null,
      softFailed,
      backfilled: input.backfill !== undefined,
      extremities,
      now: ctx.clock(),
    });
    if (reason !== undefined) return { value: { status: "rejected", reason } };
    if (softFailed) return { value: { status: "soft_failed" } };
    if (input.backfill) return { value: { status: "accepted" } };
    const federate = input.fanOut
      ? await recordOutbound(ctx, tx, {
          roomId,
          event,
          streamOrdering: position,
          builtOn: extremities,
          extremitiesAfter: outcome.extremities,
          membershipChanged: true,
        })
      : undefined;
    return { value: { status: "accepted" }, notify: { userIds: outcome.membershipUsers }, federate };
  });
}
