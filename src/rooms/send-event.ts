import { authTypesForEvent } from "../core/auth-rules.ts";
import { encodeCanonicalJson } from "../core/canonical-json.ts";
import { prevEventIds, type IdentifiedPdu } from "../core/pdu.ts";
import { getRoomVersion, type RoomVersion } from "../core/room-versions.ts";
import { stateTupleKey, type StateTupleKey } from "../core/state-key.ts";
import type { HearthContext } from "../context.ts";
import { invalidParam, MatrixError, notFound } from "../errors.ts";
import type { Db } from "../storage/database.ts";
import { getEvent, getEvents, type StoredEvent } from "../storage/rooms/events.ts";
import { getForwardExtremities } from "../storage/rooms/forward-extremities.ts";
import type { InsertGuard } from "../storage/rooms/event-writes.ts";
import { readWriteSnapshot } from "../storage/rooms/room-lock.ts";
import { cachedServers } from "../federation/sender/outbox-writer.ts";
import { getRoom } from "../storage/rooms/rooms.ts";
import type { TxnScope } from "../storage/rooms/txn-ids.ts";
import type { EventDraft } from "./build-event.ts";
import { buildCheckedEvent } from "./check-event.ts";
import { StaleWriteError, type PersistOutcome } from "./persist-event.ts";
import { persistLocalEvent } from "./persist-local-event.ts";
import { cachedRoomGuard, withRoomWrite, type WriteResult } from "./room-write.ts";
import { computeStateBefore, type StateBefore } from "./state-before.ts";
import { RoomWriteCache, type CachedRoom } from "./write-cache.ts";

/** Prev events per new event: enough to merge forks quickly, few enough to keep events small. */
export const MAX_PREV_EVENTS = 10;

export const CREATE_KEY = stateTupleKey("m.room.create", "");
const POWER_LEVELS_KEY = stateTupleKey("m.room.power_levels", "");
const JOIN_RULES_KEY = stateTupleKey("m.room.join_rules", "");

/** The room as a local writer sees it, under the room lock, at the state the event will be built on. */
export interface RoomView {
  readonly roomId: string;
  readonly version: RoomVersion;
  readonly createEvent: IdentifiedPdu;
  readonly state: StateBefore;
  stateEvent(type: string, stateKey: string): Promise<IdentifiedPdu | undefined>;
  stateEvents(keys: readonly StateTupleKey[]): Promise<Map<StateTupleKey, IdentifiedPdu>>;
  /** Any stored event, read in the writer's transaction. */
  event(eventId: string): Promise<StoredEvent | undefined>;
  /** The writer's transaction, for reads that must see the same snapshot. */
  readonly tx: Db;
}

/** What `prepare` decides: answer with an existing event (an idempotent no-op), or send this draft. */
export type Prepared = { existingEventId: string } | { draft: EventDraft };

export interface SendRequest {
  roomId: string;
  sender: string;
  draft: EventDraft;
  /** Client transaction id with the hash of its request body. */
  txn?: { scope: TxnScope; requestHash: Buffer };
  /** Answer with the current event when the same sender already set this state to the same content. */
  dedupeState?: boolean;
  /** Checks and adjustments that need the state (membership pre-checks, stripped state for invites). */
  prepare?: (view: RoomView) => Promise<Prepared | undefined>;
  /**
   * For events another server must sign before they are stored (an invite goes to the invitee's
   * server first): the event is built and checked under the room lock, `gather` reading what `sign`
   * needs from the room; `sign` runs with the lock released (a slow remote server must not hold the
   * room); the signed event is then stored on the prev events it was built on.
   */
  countersign?: {
    gather: (view: RoomView) => Promise<IdentifiedPdu[]>;
    sign: (event: IdentifiedPdu, version: RoomVersion, gathered: IdentifiedPdu[]) => Promise<IdentifiedPdu>;
  };
}

/** An event built and checked, waiting for another server's signature (see `countersign`). */
interface PendingEvent {
  event: IdentifiedPdu;
  version: RoomVersion;
  gathered: IdentifiedPdu[];
}

type WriteValue = SendResult & { pending?: PendingEvent };

export interface SendResult {
  eventId: string;
  /** False when an earlier event answered the request (retried transaction, unchanged state). */
  created: boolean;
}

async function roomVersionOf(tx: Db, roomId: string): Promise<RoomVersion> {
  const room = await getRoom(tx, roomId);
  if (!room) throw notFound("Unknown room");
  const version = getRoomVersion(room.roomVersion);
  if (!version) throw new Error(`room ${roomId} has unknown version ${room.roomVersion}`);
  return version;
}

/**
 * The view plus the state entries it read. `cached` must already be checked against `extremityIds`;
 * its entries then describe this very state (the current state), so they seed the view's.
 */
async function loadView(
  tx: Db,
  roomId: string,
  sender: string,
  prevIds: string[],
  extremityIds: string[],
  cached: CachedRoom | undefined,
  /** Current state entries read with the extremities (under the lock, so they are this state when current). */
  prefetched?: ReadonlyMap<StateTupleKey, IdentifiedPdu | null>,
): Promise<{ view: RoomView; entries: Map<StateTupleKey, IdentifiedPdu | null> }> {
  const version = cached?.version ?? (await roomVersionOf(tx, roomId));
  const state = await computeStateBefore(tx, roomId, version, prevIds, extremityIds, cached?.prevEvents);
  // The state cannot change while the room is locked, so each entry is read at most once.
  const cache = cached && state.isCurrent ? cached.state : new Map<StateTupleKey, IdentifiedPdu | null>();
  if (state.isCurrent) for (const [k, ev] of prefetched ?? []) if (!cache.has(k)) cache.set(k, ev);
  const stateEvents = async (keys: readonly StateTupleKey[]): Promise<Map<StateTupleKey, IdentifiedPdu>> => {
    const missing = keys.filter((k) => !cache.has(k));
    if (missing.length > 0) {
      const ids = await state.lookup(missing);
      const events = await getEvents(tx, [...ids.values()]);
      for (const k of missing) {
        const id = ids.get(k);
        cache.set(k, (id === undefined ? undefined : events.get(id)?.pdu) ?? null);
      }
    }
    const out = new Map<StateTupleKey, IdentifiedPdu>();
    for (const k of keys) {
      const ev = cache.get(k);
      // Re-inserted so the map's order is least recently used first (the write cache trims from there).
      cache.delete(k);
      cache.set(k, ev ?? null);
      if (ev) out.set(k, ev);
    }
    return out;
  };
  // What nearly every event's auth needs, in one round trip.
  const common = [CREATE_KEY, POWER_LEVELS_KEY, JOIN_RULES_KEY, stateTupleKey("m.room.member", sender)];
  const createEvent = (await stateEvents(common)).get(CREATE_KEY);
  if (!createEvent) throw new Error(`room ${roomId} has no create event in its state`);
  const view: RoomView = {
    roomId,
    version,
    createEvent,
    state,
    stateEvents,
    event: (eventId) => getEvent(tx, eventId),
    tx,
    stateEvent: async (type, stateKey) =>
      (await stateEvents([stateTupleKey(type, stateKey)])).get(stateTupleKey(type, stateKey)),
  };
  return { view, entries: cache };
}

/** The cache entry for the room as the view saw it (nothing written), when that is current state. */
function unchanged(
  view: RoomView,
  extremities: readonly string[],
  entries: Map<StateTupleKey, IdentifiedPdu | null>,
  depths: ReadonlyMap<number, number>,
): CachedRoom | undefined {
  if (!view.state.isCurrent) return undefined;
  return {
    version: view.version,
    extremities,
    prevEvents: view.state.prevEvents,
    state: entries,
    stateGroupDepths: depths,
  };
}

/**
 * The cache entry after storing `event` on the view, in the usual case only: built on current state
 * and now the single extremity, so current state changed at the event's own key at most. Redactions
 * drop the entry, because they rewrite stored events (possibly ones it holds).
 */
function afterWrite(
  view: RoomView,
  event: IdentifiedPdu,
  outcome: PersistOutcome,
  entries: Map<StateTupleKey, IdentifiedPdu | null>,
): CachedRoom | undefined {
  if (!view.state.isCurrent || event.type === "m.room.redaction" || outcome.redacted !== undefined) {
    return undefined;
  }
  const extremities = outcome.extremities;
  if (extremities?.length !== 1 || extremities[0] !== event.event_id) return undefined;
  const changes = outcome.stateChanges ?? new Map<StateTupleKey, string | null>();
  for (const [key, id] of changes) {
    if (id !== event.event_id) return undefined;
    entries.set(key, outcome.stored.pdu);
  }
  return {
    version: view.version,
    extremities,
    prevEvents: new Map([[event.event_id, outcome.stored]]),
    state: entries,
    stateGroupDepths:
      outcome.stateGroupAfter === null || outcome.stateGroupAfterDepth === undefined
        ? new Map()
        : new Map([[outcome.stateGroupAfter, outcome.stateGroupAfterDepth]]),
  };
}

/**
 * Requests the optimistic path may take: no state, no callbacks that could act on a stale view, and no
 * redaction (whose writes follow the event's insert, so a refusal there could not be retried).
 */
function optimistic(req: SendRequest): boolean {
  return (
    req.draft.stateKey === undefined &&
    req.draft.type !== "m.room.redaction" &&
    req.prepare === undefined &&
    req.countersign === undefined &&
    req.dedupeState !== true
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameContent(a: IdentifiedPdu, draft: EventDraft, sender: string): boolean {
  if (a.sender !== sender) return false;
  try {
    return (
      encodeCanonicalJson(a.content, { strict: false }) ===
      encodeCanonicalJson(draft.content, { strict: false })
    );
  } catch {
    return false;
  }
}

/**
 * Sends one event from a local user: builds it on the room's forward extremities and the state after
 * them, checks it (size, format, auth rules: 403 with the reason), stores it, and wakes sync after
 * commit. Idempotent per client transaction id.
 */
export async function sendLocalEvent(ctx: HearthContext, req: SendRequest): Promise<SendResult> {
  const result = await buildOrSend(ctx, req);
  if (!result.pending || !req.countersign) return { eventId: result.eventId, created: result.created };
  const { event, version, gathered } = result.pending;
  const signed = await req.countersign.sign(event, version, gathered);
  return storeCountersigned(ctx, req, version, signed);
}

/**
 * Stores an event built earlier and signed by another server since: on the state after its own prev
 * events (which cannot have changed, so the checks made when it was built still hold), beside
 * whatever the room received meanwhile.
 */
async function storeCountersigned(
  ctx: HearthContext,
  req: SendRequest,
  version: RoomVersion,
  event: IdentifiedPdu,
): Promise<SendResult> {
  return withRoomWrite<SendResult>(ctx, req.roomId, async (tx, position) => {
    const extremities = (await getForwardExtremities(tx, req.roomId)).map((e) => e.eventId);
    const before = await computeStateBefore(tx, req.roomId, version, prevEventIds(event), extremities);
    const { outcome, destinations } = await persistLocalEvent(ctx, tx, {
      roomId: req.roomId,
      version,
      event,
      before,
      streamOrdering: position,
      extremities,
      now: ctx.clock(),
    });
    return {
      value: { eventId: event.event_id, created: true },
      notify: { userIds: [req.sender, ...outcome.membershipUsers] },
      federate: destinations,
    };
  });
}

async function buildOrSend(ctx: HearthContext, req: SendRequest): Promise<WriteValue> {
  return withRoomWrite<WriteValue>(
    ctx,
    req.roomId,
    async (tx, position, entry) => {
      const snapshot = await readWriteSnapshot(
        tx,
        req.roomId,
        req.txn?.scope,
        entry ? RoomWriteCache.watchedIds(entry) : [],
        prefetchKeys(req).filter((k) => !entry?.state.has(k)),
      );
      const { extremities } = snapshot;
      // Another process may have written the room (or redacted what the entry holds) since.
      const cached =
        entry && !snapshot.watchedRedacted && sameList(entry.extremities, extremities) ? entry : undefined;
      if (req.txn) {
        const existing = snapshot.txn;
        if (existing) {
          // A retransmission has the same body. A different body under a used id is a client reusing
          // ids: answering with the old event would silently drop the new message, so refuse it.
          if (!existing.requestHash.equals(req.txn.requestHash)) {
            throw invalidParam("This transaction id was already used with a different request body");
          }
          return { value: { eventId: existing.eventId, created: false }, cache: cached };
        }
      }
      return writeOn(ctx, req, tx, position, extremities, cached, undefined, snapshot.state);
    },
    optimistic(req) ? (db, position, entry) => writeAlone(ctx, req, db, position, entry) : undefined,
  );
}

/**
 * A plain message on a cached room with one extremity: built from the cache and stored by a single
 * statement that checks the cache (and takes the room's lock) itself, with its outbox rows. Any
 * refusal, or a stale cache, is decided again on fresh reads under the lock (undefined).
 */
async function writeAlone(
  ctx: HearthContext,
  req: SendRequest,
  db: Db,
  position: number,
  entry: CachedRoom,
): Promise<WriteResult<WriteValue> | undefined> {
  if (entry.extremities.length !== 1) return undefined;
  const servers = cachedServers(ctx, req.roomId, req.draft, entry.extremities);
  if (servers === undefined) return undefined;
  const guard = cachedRoomGuard(ctx, req.roomId, entry);
  try {
    return await writeOn(ctx, req, db, position, entry.extremities, entry, guard, undefined, servers);
  } catch (e) {
    if (e instanceof StaleWriteError || e instanceof MatrixError) return undefined;
    throw e;
  }
}

/** The state entries a write will surely look at: the common auth events and the event's own key. */
function prefetchKeys(req: SendRequest): StateTupleKey[] {
  const keys = [CREATE_KEY, POWER_LEVELS_KEY, JOIN_RULES_KEY, stateTupleKey("m.room.member", req.sender)];
  const { type, stateKey } = req.draft;
  if (stateKey !== undefined && !keys.includes(stateTupleKey(type, stateKey))) {
    keys.push(stateTupleKey(type, stateKey));
  }
  return keys;
}

/**
 * Builds, checks and stores the event on `extremities`, with `cached` describing the room there. With
 * a `guard`, `cached` has not been checked yet: the insert checks it and throws StaleWriteError when it
 * was stale, having written nothing.
 */
async function writeOn(
  ctx: HearthContext,
  req: SendRequest,
  tx: Db,
  position: number,
  extremities: readonly string[],
  cached: CachedRoom | undefined,
  guard: InsertGuard | undefined,
  prefetched?: ReadonlyMap<StateTupleKey, IdentifiedPdu | null>,
  knownServers?: readonly string[],
): Promise<WriteResult<WriteValue>> {
  const prevIds = extremities.slice(0, MAX_PREV_EVENTS);
  const { view, entries } = await loadView(
    tx,
    req.roomId,
    req.sender,
    prevIds,
    [...extremities],
    cached,
    prefetched,
  );
  const depths = cached?.stateGroupDepths ?? new Map<number, number>();

  let draft = req.draft;
  const prepared = await req.prepare?.(view);
  if (prepared && "existingEventId" in prepared) {
    return {
      value: { eventId: prepared.existingEventId, created: false },
      cache: unchanged(view, extremities, entries, depths),
    };
  }
  if (prepared) draft = prepared.draft;

  if (req.dedupeState && draft.stateKey !== undefined) {
    const current = await view.stateEvent(draft.type, draft.stateKey);
    if (current && sameContent(current, draft, req.sender)) {
      return {
        value: { eventId: current.event_id, created: false },
        cache: unchanged(view, extremities, entries, depths),
      };
    }
  }

  const authKeys = authTypesForEvent(view.version, {
    type: draft.type,
    sender: req.sender,
    state_key: draft.stateKey,
    content: draft.content,
  }).map(([t, k]) => stateTupleKey(t, k));
  const authState = await view.stateEvents([...authKeys, CREATE_KEY]);
  const authEvents = authKeys.map((k) => authState.get(k)).filter((e): e is IdentifiedPdu => e !== undefined);
  const prevById = view.state.prevEvents;
  const prevEvents = prevIds
    .map((id) => prevById.get(id)?.pdu)
    .filter((e): e is IdentifiedPdu => e !== undefined);

  const event = buildCheckedEvent(
    {
      version: view.version,
      roomId: req.roomId,
      sender: req.sender,
      draft,
      prevEvents,
      authEvents,
      originServerTs: ctx.clock(),
      serverName: ctx.serverName,
      key: ctx.keys.current,
    },
    authState,
  );
  if (req.countersign) {
    // Nothing is written now; the room's cache entry is left out, as after any write it does not keep.
    const gathered = await req.countersign.gather(view);
    return {
      value: { eventId: event.event_id, created: true, pending: { event, version: view.version, gathered } },
    };
  }

  const { outcome, destinations } = await persistLocalEvent(ctx, tx, {
    roomId: req.roomId,
    version: view.version,
    event,
    before: view.state,
    streamOrdering: position,
    extremities,
    fresh: true,
    txn: req.txn,
    stateGroupDepths: depths,
    guard,
    guardedInsert: (row, g) => ctx.rooms.guardedInserts.insert(row, g),
    knownServers,
    now: ctx.clock(),
  });
  const userIds = new Set([req.sender, ...outcome.membershipUsers]);
  return {
    value: { eventId: event.event_id, created: true },
    notify: { userIds: [...userIds] },
    federate: destinations,
    cache: afterWrite(view, event, outcome, entries),
  };
}
