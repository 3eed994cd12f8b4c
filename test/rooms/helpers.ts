import { getRoomVersion, type RoomVersion } from "../../src/core/room-versions.ts";
import type { StateTupleKey } from "../../src/core/state-key.ts";
import type { HearthContext } from "../../src/context.ts";
import { createRoom, type CreateRoomOptions } from "../../src/rooms/create-room.ts";
import { getCurrentStateIds } from "../../src/storage/rooms/current-state.ts";
import { getEvents, storedEventFromRow, type StoredEvent } from "../../src/storage/rooms/events.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import { loadStateGroup } from "../../src/storage/rooms/state-groups.ts";

export function version(id: string): RoomVersion {
  const v = getRoomVersion(id);
  if (!v) throw new Error(`no room version ${id}`);
  return v;
}

/** createRoom with defaults for everything not given. */
export function makeRoom(
  ctx: HearthContext,
  creator: string,
  opts: Partial<CreateRoomOptions> = {},
): Promise<{ roomId: string }> {
  return createRoom(ctx, {
    creator,
    version: version("12"),
    preset: "private_chat",
    isPublic: false,
    creationContent: {},
    initialState: [],
    invite: [],
    isDirect: false,
    ...opts,
  });
}

/** The room's accepted timeline, oldest first. */
export async function roomEvents(ctx: HearthContext, roomId: string): Promise<StoredEvent[]> {
  const rows = await ctx.db
    .selectFrom("events")
    .selectAll()
    .where("room_id", "=", roomId)
    .orderBy("stream_ordering")
    .execute();
  return rows.map(storedEventFromRow);
}

export async function currentState(ctx: HearthContext, roomId: string): Promise<Map<StateTupleKey, string>> {
  return getCurrentStateIds(ctx.db, roomId);
}

/** State after the room's single forward extremity, rebuilt from state groups. */
export async function stateAfterExtremity(
  ctx: HearthContext,
  roomId: string,
): Promise<Map<StateTupleKey, string>> {
  const [only, ...rest] = await getForwardExtremities(ctx.db, roomId);
  if (!only || rest.length > 0) throw new Error("expected exactly one forward extremity");
  const ev = (await getEvents(ctx.db, [only.eventId])).get(only.eventId)!;
  return loadStateGroup(ctx.db, ev.stateGroupAfter!);
}
