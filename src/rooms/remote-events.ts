import type { IdentifiedPdu } from "../core/pdu.ts";
import { authEventIds, prevEventIds, stateKeyOf } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { StateTupleKey } from "../core/state-key.ts";
import type { HearthContext } from "../context.ts";
import { recordOutbound } from "../federation/sender/outbox-writer.ts";
import { checkAuth } from "../core/auth-rules.ts";
import { authStateKeys, checkAgainstAuthEvents } from "../core/auth/received-event.ts";
import type { Db } from "../storage/database.ts";
import { getCurrentStateIdsFor } from "../storage/rooms/current-state-writes.ts";
import { getEvents, type StoredEvent } from "../storage/rooms/events.ts";
import { readRemoteBatchStart } from "../storage/rooms/remote-batch-start.ts";
import { deleteOutlier } from "../storage/rooms/outlier-writes.ts";
import { loadStateGroup } from "../storage/rooms/state-groups.ts";
import { redactsOf } from "./apply-redactions.ts";
import { HeldEventInserts } from "./held-event-inserts.ts";
import { persistEvent, type PersistOutcome } from "./persist-event.ts";
import { resolveStoredStates } from "./resolve-stored-states.ts";
import { cachedRoomGuard, withRoomWrite, withRoomWriteBatch, type WriteResult } from "./room-write.ts";
import { offlineDb, OfflineQueryError } from "../storage/offline-db.ts";
import { RoomWriteCache, type CachedRoom } from "./write-cache.ts";
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

/** Current state as far as the batch has read it, while the batch keeps it true (see `BatchState`). */
interface CurrentEntries {
  /** Entries of current state by key (null: known absent), as in the write cache. */
  state: Map<StateTupleKey, IdentifiedPdu | null>;
  /** Delta depths of the extremities' state groups, where known. */
  depths: Map<number, number>;
}

/** What one room write carries from event to event of a batch. */
interface BatchState {
  /** Events read (or stored) in this write by id; `absent` holds ids read and not found. */
  stored: Map<string, StoredEvent>;
  absent: Set<string>;
  extremities: string[];
  /**
   * Entries of current state, kept while each event is stored as a plain extension of the room (built
   * on current state, becoming its only extremity); dropped at anything else, and by a redaction.
   */
  current: CurrentEntries | undefined;
  /** Rows of plain messages waiting to be inserted together (see `holdable`). */
  held: HeldEventInserts;
  /** The batch's events that stored events already cite or redact: never held. */
  flagged: ReadonlySet<string>;
  /**
   * Events named by redactions stored in this write: never held either, as the insert's own look-up
   * would find such a redaction (a soft-failed one, say, which leaves the extremities alone so the
   * target can still be built on current state). Nothing stored in this write can cite a later event
   * as a prev event: it would have had to wait for it.
   */
  redactedInBatch: Set<string>;
}

/** The events among `ids` not yet read in this write, read in one round trip. */
async function readMissing(tx: Db, batch: BatchState, ids: readonly string[]): Promise<void> {
  const wanted = [...new Set(ids)].filter((id) => !batch.stored.has(id) && !batch.absent.has(id));
  if (wanted.length === 0) return;
  const read = await getEvents(tx, wanted);
  for (const id of wanted) {
    const ev = read.get(id);
    if (ev) batch.stored.set(id, ev);
    else batch.absent.add(id);
  }
}

function eventIdsOf(input: RemoteEventInput): string[] {
  const createId = createEventId(input.roomId, input.version);
  return [
    input.event.event_id,
    ...authEventIds(input.event),
    ...prevEventIds(input.event),
    ...(createId === undefined ? [] : [createId]),
  ];
}

/** The state at `keys` by event, from what the batch holds of current state where it can. */
async function authStateFor(
  tx: Db,
  batch: BatchState,
  before: StateBefore,
  keys: readonly StateTupleKey[],
): Promise<Map<StateTupleKey, IdentifiedPdu>> {
  const entries = before.isCurrent ? batch.current?.state : undefined;
  const missing = entries ? keys.filter((k) => !entries.has(k)) : keys;
  const ids = missing.length === 0 ? new Map<StateTupleKey, string>() : await before.lookup(missing);
  await readMissing(tx, batch, [...ids.values()]);
  const out = new Map<StateTupleKey, IdentifiedPdu>();
  for (const k of missing) {
    const id = ids.get(k);
    const ev = id === undefined ? undefined : batch.stored.get(id)?.pdu;
    entries?.set(k, ev ?? null);
    if (ev) out.set(k, ev);
  }
  if (entries) {
    for (const k of keys) {
      const ev = entries.get(k);
      if (ev) out.set(k, ev);
    }
  }
  return out;
}

async function authAgainstIds(
  tx: Db,
  batch: BatchState,
  version: RoomVersion,
  event: IdentifiedPdu,
  ids: ReadonlyMap<StateTupleKey, string>,
): Promise<string | undefined> {
  await readMissing(tx, batch, [...ids.values()]);
  const state = new Map<StateTupleKey, IdentifiedPdu>();
  for (const [k, id] of ids) {
    const ev = batch.stored.get(id);
    if (ev) state.set(k, ev.pdu);
  }
  return authFailure(version, event, state);
}

function authFailure(
  version: RoomVersion,
  event: IdentifiedPdu,
  state: ReadonlyMap<StateTupleKey, IdentifiedPdu>,
): string | undefined {
  const result = checkAuth(version, event, state);
  return result.allowed ? undefined : result.reason;
}

interface Accepted {
  outcome: RemoteEventOutcome;
  userIds: readonly string[];
  federate?: readonly string[];
}

/**
 * Steps 4–6 of the checks on receipt for one event inside the batch's room write, then storage: auth
 * against the cited auth events (reject), against the state before the event (reject), against
 * current state (soft fail).
 */
async function acceptInBatch(
  ctx: HearthContext,
  tx: Db,
  batch: BatchState,
  input: RemoteEventInput,
  position: number,
): Promise<Accepted> {
  const { roomId, version, event } = input;
  const none: readonly string[] = [];
  await readMissing(tx, batch, eventIdsOf(input));
  const stored = batch.stored;
  const existing = stored.get(event.event_id);
  if (existing && !existing.outlier) {
    return { outcome: { status: "known", reason: existing.rejectedReason ?? undefined }, userIds: none };
  }
  const authIds = authEventIds(event);
  const missingAuth = authIds.filter((id) => !stored.has(id));
  if (missingAuth.length > 0) {
    return {
      outcome: { status: "missing", reason: `unknown auth events: ${missingAuth.join(", ")}` },
      userIds: none,
    };
  }
  const authEvents = authIds.map((id) => stored.get(id)!.pdu);
  const rejectedAuth = new Set(authIds.filter((id) => stored.get(id)!.rejectedReason !== null));
  const create =
    event.type === "m.room.create" ? undefined : roomCreateEvent(roomId, version, authEvents, stored);
  let reason = input.rejectedReason;
  if (reason === undefined) {
    const result = checkAgainstAuthEvents(version, event, authEvents, rejectedAuth, create);
    if (!result.allowed) reason = `auth events: ${result.reason}`;
  }

  const extremities = batch.extremities;
  let before: StateBefore | undefined;
  try {
    before = await stateBeforeRemote(tx, input, extremities, stored);
  } catch (e) {
    if (!(e instanceof MissingPrevStateError)) throw e;
    // A rejected event needs no state; anything else must wait until its prev state is known.
    if (reason === undefined) return { outcome: { status: "missing", reason: e.message }, userIds: none };
  }

  const keys = authStateKeys(version, event);
  if (reason === undefined && before) {
    const failure = authFailure(version, event, await authStateFor(tx, batch, before, keys));
    if (failure !== undefined) reason = `state before the event: ${failure}`;
  }
  let softFailed = false;
  if (reason === undefined && before && !before.isCurrent && !input.backfill) {
    const currentIds = await getCurrentStateIdsFor(tx, roomId, keys);
    softFailed = (await authAgainstIds(tx, batch, version, event, currentIds)) !== undefined;
  }
  const current = before?.isCurrent ? batch.current : undefined;
  const hold =
    reason === undefined &&
    !softFailed &&
    !existing &&
    !input.backfill &&
    !input.fanOut &&
    before?.isCurrent === true &&
    before.groupId !== undefined &&
    stateKeyOf(event) === undefined &&
    event.type !== "m.room.redaction" &&
    !batch.flagged.has(event.event_id) &&
    !batch.redactedInBatch.has(event.event_id);
  // Whatever is not held may read or change what the held rows would: they go in first.
  if (!hold) await batch.held.flush(tx);
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
    stateGroupDepths: current?.depths,
    insert: hold ? (row) => batch.held.hold(row) : undefined,
    now: ctx.clock(),
  });
  const redacts = event.type === "m.room.redaction" ? redactsOf(version, event) : undefined;
  if (redacts !== undefined) batch.redactedInBatch.add(redacts);
  stored.set(event.event_id, outcome.stored);
  batch.absent.delete(event.event_id);
  followOutcome(batch, event, outcome, current);

  if (reason !== undefined) return { outcome: { status: "rejected", reason }, userIds: none };
  if (softFailed) return { outcome: { status: "soft_failed" }, userIds: none };
  if (input.backfill) return { outcome: { status: "accepted" }, userIds: none };
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
  return { outcome: { status: "accepted" }, userIds: outcome.membershipUsers, federate };
}

/** Brings the batch's extremities and current-state entries past a stored event. */
function followOutcome(
  batch: BatchState,
  event: IdentifiedPdu,
  outcome: PersistOutcome,
  current: CurrentEntries | undefined,
): void {
  if (outcome.redacted !== undefined || event.type === "m.room.redaction") {
    // A redaction rewrote a stored event, which the batch may hold: read it again if needed.
    if (outcome.redacted !== undefined) batch.stored.delete(outcome.redacted);
    batch.current = undefined;
  }
  // Rejected, soft-failed and backfilled events change neither extremities nor current state.
  if (outcome.extremities === undefined) return;
  batch.extremities = outcome.extremities;
  const extendsRoom =
    current !== undefined &&
    batch.current === current &&
    outcome.extremities.length === 1 &&
    outcome.extremities[0] === event.event_id;
  if (!extendsRoom) {
    batch.current = undefined;
    return;
  }
  for (const [key, id] of outcome.stateChanges ?? []) {
    if (id !== event.event_id) {
      batch.current = undefined;
      return;
    }
    current.state.set(key, outcome.stored.pdu);
  }
  current.depths = new Map();
  if (outcome.stateGroupAfter !== null && outcome.stateGroupAfterDepth !== undefined) {
    current.depths.set(outcome.stateGroupAfter, outcome.stateGroupAfterDepth);
  }
}

/** The write cache entry the batch leaves: the room as a plain extension left it, else none. */
function cacheAfter(batch: BatchState, version: RoomVersion): CachedRoom | undefined {
  const [only] = batch.extremities;
  const prev = only === undefined ? undefined : batch.stored.get(only);
  if (!batch.current || batch.extremities.length !== 1 || !prev) return undefined;
  return {
    version,
    extremities: batch.extremities,
    prevEvents: new Map([[only!, prev]]),
    state: batch.current.state,
    stateGroupDepths: batch.current.depths,
  };
}

/**
 * Accepts one received event: `acceptRemoteEvents` with a batch of one. Rejected and soft-failed
 * events are stored but never become forward extremities or current state. An event stored earlier as
 * an outlier is stored again, now with its state.
 */
export async function acceptRemoteEvent(
  ctx: HearthContext,
  input: RemoteEventInput,
): Promise<RemoteEventOutcome> {
  const [outcome] = await acceptRemoteEvents(ctx, input.roomId, input.version, [input]);
  return outcome!;
}

/**
 * Accepts received events of one room, in order, in one room write: one lock, one transaction, one
 * wake-up, and the room's extremities and current state carried from each event to the next instead
 * of read again. Each event is judged exactly as on its own; one answered "missing" wrote nothing and
 * the ones after it still go ahead (those that build on it come back "missing" too).
 */
export async function acceptRemoteEvents(
  ctx: HearthContext,
  roomId: string,
  version: RoomVersion,
  inputs: readonly RemoteEventInput[],
): Promise<RemoteEventOutcome[]> {
  if (inputs.length === 0) return [];
  for (const input of inputs) {
    if (input.roomId !== roomId) throw new Error("a batch of remote events must be of one room");
  }
  return withRoomWriteBatch(
    ctx,
    roomId,
    inputs.length,
    async (tx, positions, cached) => {
      // The events, their auth and prev events and the create event, which of them stored events cite
      // or redact, the extremities and whether the cached entries still hold, in one round trip: the
      // room is locked meanwhile.
      const ids = inputs.flatMap(eventIdsOf);
      const snapshot = await readRemoteBatchStart(
        tx,
        roomId,
        ids,
        // A single event gains nothing from being held; several save a round trip each.
        inputs.length > 1 ? inputs.map((i) => i.event.event_id) : [],
        cached ? RoomWriteCache.watchedIds(cached) : [],
      );
      const batch: BatchState = {
        stored: snapshot.events,
        absent: new Set(ids.filter((id) => !snapshot.events.has(id))),
        extremities: [],
        current: undefined,
        held: new HeldEventInserts(roomId),
        flagged: snapshot.flagged,
        redactedInBatch: new Set(),
      };
      batch.extremities = snapshot.extremities;
      if (cached && !snapshot.watchedRedacted && sameSet(cached.extremities, snapshot.extremities)) {
        batch.current = { state: cached.state, depths: new Map(cached.stateGroupDepths) };
        for (const [id, ev] of cached.prevEvents) if (!batch.stored.has(id)) batch.stored.set(id, ev);
      } else if (snapshot.extremities.length > 0) {
        batch.current = { state: new Map(), depths: new Map() };
      }

      const outcomes: RemoteEventOutcome[] = [];
      const userIds = new Set<string>();
      const federate = new Set<string>();
      for (const [i, input] of inputs.entries()) {
        const accepted = await acceptInBatch(ctx, tx, batch, input, positions[i]!);
        outcomes.push(accepted.outcome);
        for (const u of accepted.userIds) userIds.add(u);
        for (const d of accepted.federate ?? []) federate.add(d);
      }
      await batch.held.flush(tx);
      const stored = outcomes.some((o) => o.status === "accepted");
      return {
        value: outcomes,
        notify: stored && !inputs.every((i) => i.backfill) ? { userIds: [...userIds] } : undefined,
        federate: [...federate],
        cache: cacheAfter(batch, version),
      };
    },
    (db, positions, cached) => acceptAlone(ctx, db, roomId, version, inputs, positions, cached),
  );
}

/**
 * Whether the inputs are plain messages extending the cached room one after another: the first
 * built on its only extremity, each next on the one before.
 */
function extendsCachedRoom(inputs: readonly RemoteEventInput[], cached: CachedRoom): boolean {
  if (cached.extremities.length !== 1) return false;
  let tip = cached.extremities[0]!;
  for (const input of inputs) {
    const { event } = input;
    const prevs = prevEventIds(event);
    if (
      input.backfill ||
      input.fanOut ||
      input.prevStates ||
      input.rejectedReason !== undefined ||
      stateKeyOf(event) !== undefined ||
      event.type === "m.room.redaction" ||
      prevs.length !== 1 ||
      prevs[0] !== tip
    ) {
      return false;
    }
    tip = event.event_id;
  }
  return true;
}

/**
 * The batch as one statement, outside a transaction, when the cache holds everything it needs: a run
 * of plain messages extending the cached room, each accepted on the cached state. The same steps as
 * the locked path run on the cache (with a database that refuses every read, so nothing is judged on
 * a guess); the insert then checks what the cache assumed: the room's lock is free, its extremities
 * and cached events unchanged, and none of the events stored, cited or redacted already. Undefined,
 * with nothing written, whenever any of that fails: the locked path then decides on fresh reads.
 */
async function acceptAlone(
  ctx: HearthContext,
  db: Db,
  roomId: string,
  version: RoomVersion,
  inputs: readonly RemoteEventInput[],
  positions: readonly number[],
  cached: CachedRoom,
): Promise<WriteResult<RemoteEventOutcome[]> | undefined> {
  if (!extendsCachedRoom(inputs, cached)) return undefined;
  const own = inputs.map((i) => i.event.event_id);
  if (new Set(own).size !== own.length) return undefined;
  const stored = new Map<string, StoredEvent>();
  // Current state is never rejected nor soft-failed; the guard finds any redaction since.
  for (const pdu of cached.state.values()) {
    if (pdu) stored.set(pdu.event_id, currentStateEvent(roomId, pdu));
  }
  for (const [id, ev] of cached.prevEvents) stored.set(id, ev);
  const batch: BatchState = {
    stored,
    absent: new Set(own),
    extremities: [...cached.extremities],
    current: { state: cached.state, depths: new Map(cached.stateGroupDepths) },
    held: new HeldEventInserts(roomId),
    flagged: new Set(),
    redactedInBatch: new Set(),
  };
  const offline = offlineDb();
  const outcomes: RemoteEventOutcome[] = [];
  try {
    for (const [i, input] of inputs.entries()) {
      const accepted = await acceptInBatch(ctx, offline.db, batch, input, positions[i]!);
      // Anything but a plain acceptance (rejected, soft-failed, missing) is for the locked path.
      if (accepted.outcome.status !== "accepted") return undefined;
      outcomes.push(accepted.outcome);
    }
  } catch (e) {
    if (e instanceof OfflineQueryError) return undefined;
    throw e;
  }
  if (offline.touched() || batch.held.size !== inputs.length) return undefined;
  const written = await batch.held.flush(db, cachedRoomGuard(ctx, roomId, cached));
  if (!written) return undefined;
  return { value: outcomes, notify: { userIds: [] }, federate: [], cache: cacheAfter(batch, version) };
}

/** A current state event of the cache as the batch's reads would have found it. */
function currentStateEvent(roomId: string, pdu: IdentifiedPdu): StoredEvent {
  return {
    eventId: pdu.event_id,
    roomId,
    pdu,
    streamOrdering: null,
    topologicalOrdering: typeof pdu.depth === "number" ? pdu.depth : 0,
    outlier: false,
    rejectedReason: null,
    softFailed: false,
    redactedBy: null,
    stateGroupBefore: null,
    stateGroupAfter: null,
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
