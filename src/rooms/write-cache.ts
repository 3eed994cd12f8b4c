import type { IdentifiedPdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { StateTupleKey } from "../core/state-key.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";

/**
 * What the local writer learnt about a room in its last write, so the next event is built without
 * reading it again: the version, the forward extremities with their stored events, and the entries of
 * current state read so far (null: known absent). It describes the room as it was after that write;
 * the next writer checks the extremities (and that none of these events was redacted) under the room
 * lock before trusting it, so a write from another process sharing the database only costs a reload.
 */
export interface CachedRoom {
  readonly version: RoomVersion;
  /** Deepest (then most recent) first, as `readWriteSnapshot` returns them. */
  readonly extremities: readonly string[];
  readonly prevEvents: ReadonlyMap<string, StoredEvent>;
  /** Current state entries, least recently used first; the map is owned by whoever took the entry. */
  readonly state: Map<StateTupleKey, IdentifiedPdu | null>;
  /** Delta depths of the extremities' state groups, where known (group id → depth). */
  readonly stateGroupDepths: ReadonlyMap<number, number>;
}

/** Rooms beyond this many are forgotten, least recently written first. */
const MAX_ROOMS = 5_000;

/**
 * State entries kept per room, least recently used dropped first. The bound keeps memory flat in big
 * rooms and, above all, the redaction check cheap: every kept event is looked up on each write.
 */
const MAX_STATE_ENTRIES = 64;

/**
 * Per-instance cache of CachedRoom by room id. A writer takes the entry (removing it) under the room's
 * in-process lock and puts back an updated one only after its transaction commits, so a failed or
 * unusual write (forks, outliers, rejected events, tests writing directly) simply leaves none behind.
 */
export class RoomWriteCache {
  private readonly rooms = new Map<string, CachedRoom>();

  take(roomId: string): CachedRoom | undefined {
    const entry = this.rooms.get(roomId);
    if (entry) this.rooms.delete(roomId);
    return entry;
  }

  put(roomId: string, entry: CachedRoom): void {
    for (const key of entry.state.keys()) {
      if (entry.state.size <= MAX_STATE_ENTRIES) break;
      entry.state.delete(key);
    }
    this.rooms.delete(roomId);
    this.rooms.set(roomId, entry);
    if (this.rooms.size > MAX_ROOMS) {
      const oldest = this.rooms.keys().next().value;
      if (oldest !== undefined) this.rooms.delete(oldest);
    }
  }

  /** The events whose redaction would make the entry stale. */
  static watchedIds(entry: CachedRoom): string[] {
    const ids = [...entry.prevEvents.keys()];
    for (const ev of entry.state.values()) if (ev) ids.push(ev.event_id);
    return ids;
  }

  get size(): number {
    return this.rooms.size;
  }
}
