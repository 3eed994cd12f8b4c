import type { HearthContext } from "../context.ts";
import { stateTupleKey, type StateTupleKey } from "../core/state-key.ts";
import { getEvents, type StoredEvent } from "../storage/rooms/events.ts";
import { loadStateGroupsOver } from "../storage/rooms/state-groups.ts";
import { lookupStateEntries } from "../storage/rooms/state-lookup.ts";
import { latestEventAtStream } from "../storage/sync/sync-rooms.ts";
import { allowsRoomEvent, type RoomEventFilter } from "./filter.ts";

type StateContext = Pick<HearthContext, "db">;

/** State groups loaded during one sync, each once, over the instance's cache of group states. */
export class StateGroups {
  private readonly groups = new Map<number, Promise<ReadonlyMap<StateTupleKey, string>>>();
  constructor(private readonly ctx: Pick<HearthContext, "db" | "sync">) {}

  /** Loads many groups with one query (initial sync: every room's state at once). */
  async preload(groupIds: readonly number[]): Promise<void> {
    const cache = this.ctx.sync.stateGroups;
    const missing: number[] = [];
    for (const id of new Set(groupIds)) {
      if (this.groups.has(id)) continue;
      const cached = cache.get(id);
      if (cached) this.groups.set(id, Promise.resolve(cached));
      else missing.push(id);
    }
    if (missing.length === 0) return;
    const loaded = loadFromCache(this.ctx, missing);
    for (const id of missing) {
      const state = loaded.then((all) => all.get(id)!);
      state.catch(() => undefined); // the failure surfaces through `await loaded` below
      this.groups.set(id, state);
    }
    await loaded;
  }

  async load(groupId: number): Promise<ReadonlyMap<StateTupleKey, string>> {
    if (!this.groups.has(groupId)) await this.preload([groupId]);
    return this.groups.get(groupId)!;
  }

  /** The group holding the room's state as of stream position `at` (after its newest event there). */
  async groupAtStream(roomId: string, at: number): Promise<number | undefined> {
    return (await latestEventAtStream(this.ctx.db, roomId, at))?.stateGroupAfter ?? undefined;
  }
}

/** Loads the groups over the cached ones (see `loadStateGroupsOver`) and caches the results. */
async function loadFromCache(
  ctx: Pick<HearthContext, "db" | "sync">,
  groupIds: readonly number[],
): Promise<Map<number, ReadonlyMap<StateTupleKey, string>>> {
  const cache = ctx.sync.stateGroups;
  const out = new Map<number, ReadonlyMap<StateTupleKey, string>>();
  const known = new Map(cache.known());
  for (const [id, { base, entries }] of await loadStateGroupsOver(ctx.db, groupIds, known)) {
    const state = new Map(base === undefined ? [] : known.get(base));
    for (const [key, eventId] of entries) {
      if (eventId === null) state.delete(key);
      else state.set(key, eventId);
    }
    cache.set(id, state);
    out.set(id, state);
  }
  return out;
}

export interface RoomStateRequest {
  roomId: string;
  userId: string;
  /** "full": everything (initial sync, full_state, newly joined); "delta": changes since `sinceStream`. */
  mode: "full" | "delta";
  sinceStream?: number;
  /** The state group at `sinceStream`, when the caller already knows it. */
  sinceGroup?: number;
  /** The returned timeline, oldest first. */
  timeline: readonly StoredEvent[];
  /** Where the room's state is read when the timeline is empty (snapshot, or the user's leave). */
  upTo: number;
  /** use_state_after: state at the end of the timeline instead of its start. */
  stateAfter: boolean;
  filter: RoomEventFilter;
  /** Users whose member events lazy-loading must include (heroes). */
  heroes: readonly string[];
  /** For lazy-loading without include_redundant_members: member events this device already has. */
  alreadySent?: (memberId: string, eventId: string) => boolean;
}

export interface RoomState {
  events: StoredEvent[];
  /** The member events among them, by user (for the lazy-loading cache). */
  members: Map<string, string>;
}

const MEMBER = "m.room.member";
const MEMBER_PREFIX = stateTupleKey(MEMBER, "");

/**
 * The `state` (or `state_after`) section of a room. Full: the room's state at the start (end) of the
 * timeline. Delta: what differs there from the state the client had at `since` (spec: empty unless the
 * timeline skipped something). Never an event that is also in the timeline (unless state_after, where
 * clients take state only from this section). Lazy-loading keeps only the member events clients need:
 * senders in the timeline, the user (on full state), heroes, and every membership change in the gap.
 */
export async function roomState(
  ctx: StateContext,
  groups: StateGroups,
  req: RoomStateRequest,
): Promise<RoomState> {
  const first = req.timeline[0];
  const last = req.timeline[req.timeline.length - 1];
  const targetGroup = req.stateAfter
    ? (last?.stateGroupAfter ?? (await groups.groupAtStream(req.roomId, req.upTo)))
    : (first?.stateGroupBefore ?? (await groups.groupAtStream(req.roomId, req.upTo)));
  if (targetGroup === undefined || targetGroup === null) return { events: [], members: new Map() };

  let sinceGroup: number | undefined;
  if (req.mode === "delta" && req.sinceStream !== undefined) {
    sinceGroup = req.sinceGroup ?? (await groups.groupAtStream(req.roomId, req.sinceStream));
  }
  const delta = sinceGroup !== undefined;
  const inTimeline = new Set(req.stateAfter ? [] : req.timeline.map((ev) => ev.eventId));
  const chosen = new Map<StateTupleKey, string>();
  // Same group: nothing changed in between, and neither needs loading.
  if (sinceGroup !== targetGroup) {
    const target = await groups.load(targetGroup);
    const since = sinceGroup === undefined ? undefined : await groups.load(sinceGroup);
    for (const [key, id] of target) {
      if (inTimeline.has(id)) continue;
      if (since && since.get(key) === id) continue;
      chosen.set(key, id);
    }
  }

  if (req.filter.lazyLoadMembers) {
    const wanted = new Set(req.timeline.map((ev) => ev.pdu.sender));
    for (const hero of req.heroes) wanted.add(hero);
    if (!delta) {
      wanted.add(req.userId);
      for (const key of [...chosen.keys()]) {
        if (key.startsWith(MEMBER_PREFIX) && !wanted.has(key.slice(MEMBER_PREFIX.length))) chosen.delete(key);
      }
    } else {
      // Every member entry in a delta changed in the gap, and those always go out (spec). Other members
      // the timeline needs go out unless this device already has exactly that event.
      const keys = [...wanted].map((memberId) => ({ type: MEMBER, stateKey: memberId }));
      const found = (await lookupStateEntries(ctx.db, [targetGroup], keys)).get(targetGroup);
      for (const [key, id] of found ?? []) {
        if (inTimeline.has(id) || chosen.has(key)) continue;
        if (req.alreadySent?.(key.slice(MEMBER_PREFIX.length), id)) continue;
        chosen.set(key, id);
      }
    }
  }

  const loaded = await getEvents(ctx.db, [...chosen.values()]);
  const events: StoredEvent[] = [];
  const members = new Map<string, string>();
  for (const id of chosen.values()) {
    const ev = loaded.get(id);
    if (!ev) continue;
    if (
      !allowsRoomEvent(req.filter, {
        type: ev.pdu.type,
        sender: ev.pdu.sender,
        roomId: ev.roomId,
        content: ev.pdu.content,
      })
    ) {
      continue;
    }
    events.push(ev);
    if (ev.pdu.type === MEMBER && typeof ev.pdu.state_key === "string")
      members.set(ev.pdu.state_key, ev.eventId);
  }
  events.sort((a, b) => (a.streamOrdering ?? 0) - (b.streamOrdering ?? 0));
  return { events, members };
}
