import type { MembershipAt, MembershipChange } from "../storage/sync/sync-rooms.ts";
import { allowsRoomId, type RoomFilter } from "./filter.ts";

/**
 * Which rooms a sync covers and how, decided from the user's memberships alone (pure, so the rules are
 * unit-tested): joined rooms as incremental or full sections, invites and knocks with stripped state,
 * leaves with the events up to the leave.
 */
export type RoomPlan =
  | {
      kind: "join";
      roomId: string;
      /** Full state and a fresh timeline: initial sync, full_state, newly joined or rejoined. */
      full: boolean;
      /** Exclusive lower bound of the timeline; undefined: from the room's newest events back. */
      after?: number;
    }
  | { kind: "invite" | "knock"; roomId: string; eventId: string }
  | {
      kind: "leave";
      roomId: string;
      full: boolean;
      after?: number;
      /** The leave (or ban) event's stream position: the timeline and state end there. */
      upTo: number;
      /** The leave (or ban) event. */
      eventId: string;
    };

export interface PlanInput {
  /** Memberships at the sync's snapshot. */
  now: ReadonlyMap<string, MembershipAt>;
  /** For incremental syncs: memberships at `since` of the rooms with changes in the window. */
  atSince?: ReadonlyMap<string, MembershipAt>;
  /** The user's member events in the window, oldest first. */
  changes: readonly MembershipChange[];
  /** The events position of `since`; undefined for initial sync. */
  since?: number;
  fullState: boolean;
  roomFilter: RoomFilter;
}

export function planRooms(input: PlanInput): RoomPlan[] {
  const changesByRoom = new Map<string, MembershipChange[]>();
  for (const c of input.changes) {
    let list = changesByRoom.get(c.roomId);
    if (!list) changesByRoom.set(c.roomId, (list = []));
    list.push(c);
  }
  const since = input.since;
  const plans: RoomPlan[] = [];
  for (const m of input.now.values()) {
    if (m.forgotten || !allowsRoomId(input.roomFilter, m.roomId)) continue;
    const changes = changesByRoom.get(m.roomId) ?? [];
    const wasJoined =
      input.atSince?.get(m.roomId)?.membership === "join" || (since !== undefined && changes.length === 0);
    const changedInWindow = since === undefined || (m.streamOrdering !== null && m.streamOrdering > since);
    switch (m.membership) {
      case "join": {
        if (since === undefined) {
          plans.push({ kind: "join", roomId: m.roomId, full: true });
          break;
        }
        // Left (or was invited) since the last sync and came back: the client's view is stale.
        const rejoined = !wasJoined || changes.some((c) => c.membership !== "join");
        if (rejoined) plans.push({ kind: "join", roomId: m.roomId, full: true });
        else plans.push({ kind: "join", roomId: m.roomId, full: input.fullState, after: since });
        break;
      }
      case "invite":
      case "knock":
        if (changedInWindow) plans.push({ kind: m.membership, roomId: m.roomId, eventId: m.eventId });
        break;
      case "leave":
      case "ban": {
        if (m.streamOrdering === null) break;
        if (since === undefined) {
          if (input.roomFilter.includeLeave) {
            plans.push({
              kind: "leave",
              roomId: m.roomId,
              full: true,
              upTo: m.streamOrdering,
              eventId: m.eventId,
            });
          }
          break;
        }
        if (!changedInWindow) break;
        // Joined throughout until this leave: the client only needs what happened since.
        const continuous = wasJoined && changes.slice(0, -1).every((c) => c.membership === "join");
        plans.push(
          continuous
            ? {
                kind: "leave",
                roomId: m.roomId,
                full: false,
                after: since,
                upTo: m.streamOrdering,
                eventId: m.eventId,
              }
            : { kind: "leave", roomId: m.roomId, full: true, upTo: m.streamOrdering, eventId: m.eventId },
        );
        break;
      }
      default:
        break;
    }
  }
  return plans;
}
