import { authEventIds, stateKeyOf, type IdentifiedPdu } from "../pdu.ts";
import type { RoomVersion } from "../room-versions.ts";
import { stateTupleKey, type StateMap, type StateTupleKey } from "../state-key.ts";

/**
 * Where state resolution gets events. The caller preloads every event it may need (the events of the
 * state sets and their whole auth chains), so the algorithm stays synchronous and pure.
 */
export interface StateResSource {
  getEvent(eventId: string): IdentifiedPdu | undefined;
  /** True for events that were rejected when received; they are never used to authorise others. */
  isRejected?(eventId: string): boolean;
}

/** A needed event was not supplied by the source: resolution cannot give a trustworthy answer. */
export class MissingEventError extends Error {
  constructor(
    readonly eventId: string,
    purpose: string,
  ) {
    super(`state resolution needs event ${eventId} (${purpose}) but the source does not have it`);
    this.name = "MissingEventError";
  }
}

export const CREATE_KEY: StateTupleKey = stateTupleKey("m.room.create", "");
export const POWER_LEVELS_KEY: StateTupleKey = stateTupleKey("m.room.power_levels", "");

export function isCreateEvent(event: IdentifiedPdu): boolean {
  return event.type === "m.room.create" && stateKeyOf(event) === "";
}

export function isPowerLevelsEvent(event: IdentifiedPdu): boolean {
  return event.type === "m.room.power_levels" && stateKeyOf(event) === "";
}

/** The state tuple key of a state event, or undefined for a message event. */
export function stateKeyTupleOf(event: IdentifiedPdu): StateTupleKey | undefined {
  const stateKey = stateKeyOf(event);
  return stateKey === undefined ? undefined : stateTupleKey(event.type, stateKey);
}

/**
 * The auth DAG as state resolution walks it, for one resolution. It memoises each event's auth edges
 * and hides one version difference: from room v12 the create event is no longer listed in
 * `auth_events` but is implied by the room id, so every non-create event gets it as an implicit auth
 * event here. That keeps auth chains, the conflicted subgraph and the topological order the same shape
 * in every version.
 */
export class EventGraph {
  private readonly authCache = new Map<string, readonly string[]>();

  /**
   * @param roomCreateId the create event found in the state sets: used for the implicit v12 edge when an
   *   event's room id does not name its create event, and as the room's creator for power lookups.
   */
  constructor(
    readonly version: RoomVersion,
    private readonly source: StateResSource,
    readonly roomCreateId?: string,
  ) {}

  event(eventId: string, purpose = "state resolution"): IdentifiedPdu {
    const event = this.source.getEvent(eventId);
    if (event === undefined) throw new MissingEventError(eventId, purpose);
    return event;
  }

  isRejected(eventId: string): boolean {
    return this.source.isRejected?.(eventId) ?? false;
  }

  /** The event's auth edges: its `auth_events`, plus the implicit create event where the version implies it. */
  authEvents(eventId: string): readonly string[] {
    let ids = this.authCache.get(eventId);
    if (ids === undefined) {
      const event = this.event(eventId, "walking the auth DAG");
      const listed = authEventIds(event);
      const implicit = this.implicitCreateId(event);
      ids = implicit === undefined || listed.includes(implicit) ? listed : [...listed, implicit];
      this.authCache.set(eventId, ids);
    }
    return ids;
  }

  /** The create event an event implicitly cites (room v12+), or undefined. */
  implicitCreateId(event: IdentifiedPdu): string | undefined {
    if (this.version.createEventInAuthEvents || isCreateEvent(event)) return undefined;
    const roomId = event.room_id;
    // v12 room ids are the create event's id with `!` instead of `$` (spec: rooms/v12 auth rule 2).
    if (this.version.roomIdFromCreateEvent && typeof roomId === "string" && roomId.startsWith("!")) {
      return `$${roomId.slice(1)}`;
    }
    return this.roomCreateId;
  }

  /** The `m.room.power_levels` event among the event's `auth_events`, if any. */
  powerLevelsAuthEvent(eventId: string): IdentifiedPdu | undefined {
    for (const id of this.authEvents(eventId)) {
      const authEvent = this.event(id, `auth event of ${eventId}`);
      if (isPowerLevelsEvent(authEvent)) return authEvent;
    }
    return undefined;
  }
}

/** The create event id from the first state set that has one (they normally all agree). */
export function findRoomCreateId(stateSets: ReadonlyArray<StateMap>): string | undefined {
  for (const set of stateSets) {
    const id = set.get(CREATE_KEY);
    if (id !== undefined) return id;
  }
  return undefined;
}
