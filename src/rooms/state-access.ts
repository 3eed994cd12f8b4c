import { stateTupleKey, type StateTupleKey } from "../core/state-key.ts";
import type { HearthContext } from "../context.ts";
import { forbidden } from "../errors.ts";
import { getCurrentStateEventId, getCurrentStateIds } from "../storage/rooms/current-state.ts";
import { getEvent } from "../storage/rooms/events.ts";
import { getCurrentMembership } from "../storage/rooms/memberships.ts";
import { stateGroupAtStream } from "../storage/rooms/state-at-stream.ts";
import { loadStateGroup } from "../storage/rooms/state-groups.ts";

/** Which room state a user may read: the current state, or the state as of their departure. */
export type VisibleState =
  { kind: "current" } | { kind: "departed"; state: Map<StateTupleKey, string>; stream: number | null };

async function worldReadable(ctx: HearthContext, roomId: string): Promise<boolean> {
  const id = await getCurrentStateEventId(ctx.db, roomId, "m.room.history_visibility", "");
  const ev = id === undefined ? undefined : await getEvent(ctx.db, id);
  return ev?.pdu.content.history_visibility === "world_readable";
}

/**
 * GET /state, /state/{type}/{key}, /members: joined users read the current state; users who left or
 * were banned read the state as of that event (spec); anyone reads a world_readable room's current
 * state; everyone else, including for rooms that do not exist, gets 403.
 */
export async function visibleState(
  ctx: HearthContext,
  roomId: string,
  userId: string,
): Promise<VisibleState> {
  const m = await getCurrentMembership(ctx.db, roomId, userId);
  if (m?.membership === "join") return { kind: "current" };
  if (m && (m.membership === "leave" || m.membership === "ban")) {
    const ev = await getEvent(ctx.db, m.eventId);
    if (ev?.stateGroupAfter != null) {
      const state = await loadStateGroup(ctx.db, ev.stateGroupAfter);
      return { kind: "departed", state, stream: ev.streamOrdering };
    }
  }
  if (await worldReadable(ctx, roomId)) return { kind: "current" };
  throw forbidden("You are not a member of this room and were not one before");
}

export async function visibleStateIds(
  ctx: HearthContext,
  roomId: string,
  visible: VisibleState,
): Promise<Map<StateTupleKey, string>> {
  return visible.kind === "current" ? getCurrentStateIds(ctx.db, roomId) : visible.state;
}

export async function visibleStateEventId(
  ctx: HearthContext,
  roomId: string,
  visible: VisibleState,
  type: string,
  stateKey: string,
): Promise<string | undefined> {
  if (visible.kind === "current") return getCurrentStateEventId(ctx.db, roomId, type, stateKey);
  return visible.state.get(stateTupleKey(type, stateKey));
}

/**
 * The visible state as of a stream position (GET /members?at=): the room after its newest event at
 * or before `stream`, never later than a departed user's leaving. Before the room's first event the
 * state is empty.
 */
export async function visibleStateIdsAt(
  ctx: HearthContext,
  roomId: string,
  visible: VisibleState,
  stream: number,
): Promise<Map<StateTupleKey, string>> {
  if (visible.kind === "departed" && (visible.stream === null || visible.stream <= stream))
    return visible.state;
  const group = await stateGroupAtStream(ctx.db, roomId, stream);
  return group === undefined ? new Map() : loadStateGroup(ctx.db, group);
}
