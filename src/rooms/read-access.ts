import type { HearthContext } from "../context.ts";
import { forbidden } from "../errors.ts";
import { getCurrentStateEventId } from "../storage/rooms/current-state.ts";
import { getEvent } from "../storage/rooms/events.ts";
import { getCurrentMembership } from "../storage/rooms/membership-history.ts";
import { positionOf, type TimelinePosition } from "../storage/rooms/timeline.ts";
import { parseHistoryVisibility, type HistoryVisibility } from "./visibility.ts";

type ReadContext = Pick<HearthContext, "db">;

export interface RoomReadAccess {
  /** Current membership; undefined when the user never had one. */
  membership: string | undefined;
  currentVisibility: HistoryVisibility;
  /**
   * For a user who left or was banned: the position of that membership event. Nothing after it is
   * theirs to see (bar world_readable history), so reads stop there instead of scanning and filtering
   * everything newer.
   */
  departedAt?: TimelinePosition;
}

export async function currentHistoryVisibility(ctx: ReadContext, roomId: string): Promise<HistoryVisibility> {
  const id = await getCurrentStateEventId(ctx.db, roomId, "m.room.history_visibility", "");
  const ev = id === undefined ? undefined : await getEvent(ctx.db, id);
  return parseHistoryVisibility(ev?.pdu.content);
}

/**
 * Who may read a room's history at all (/messages, /context, /relations, /threads): anyone with a
 * membership in it (joined, invited, knocking, or departed: per-event history visibility then decides),
 * or anyone when it is world_readable now. Others, including for rooms this server does not know,
 * get 403 M_FORBIDDEN, so the answer does not reveal whether a room exists.
 */
export async function roomReadAccess(
  ctx: ReadContext,
  roomId: string,
  userId: string,
): Promise<RoomReadAccess | undefined> {
  const current = await getCurrentMembership(ctx.db, roomId, userId);
  const currentVisibility = await currentHistoryVisibility(ctx, roomId);
  if (current === undefined && currentVisibility !== "world_readable") return undefined;
  const access: RoomReadAccess = { membership: current?.membership, currentVisibility };
  if (current && (current.membership === "leave" || current.membership === "ban")) {
    const ev = await getEvent(ctx.db, current.eventId);
    if (ev && ev.streamOrdering !== null) access.departedAt = positionOf(ev);
  }
  return access;
}

export async function requireRoomReadAccess(
  ctx: ReadContext,
  roomId: string,
  userId: string,
): Promise<RoomReadAccess> {
  const access = await roomReadAccess(ctx, roomId, userId);
  if (!access) throw forbidden("You are not allowed to view this room.");
  return access;
}
