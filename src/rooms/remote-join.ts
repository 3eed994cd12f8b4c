import type { IdentifiedPdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { StateTupleKey } from "../core/state-key.ts";
import type { HearthContext } from "../context.ts";
import { getEvent } from "../storage/rooms/events.ts";
import { getForwardExtremities } from "../storage/rooms/forward-extremities.ts";
import { deleteOutlier } from "../storage/rooms/outlier-writes.ts";
import { insertRoom } from "../storage/rooms/rooms.ts";
import { persistEvent } from "./persist-event.ts";
import { persistOutliers, type OutlierInput } from "./remote-events.ts";
import { withRoomWrite } from "./room-write.ts";
import { stateBeforeFromMap } from "./state-before.ts";

/** A join made through another server, its response already checked (federation/outbound). */
export interface RemoteJoinInput {
  roomId: string;
  version: RoomVersion;
  create: IdentifiedPdu;
  /** The room's state and auth chain as the resident sent them, not stored yet. */
  outliers: readonly OutlierInput[];
  /** The state before the join event. */
  state: ReadonlyMap<StateTupleKey, string>;
  joinEvent: IdentifiedPdu;
}

/**
 * Stores a room joined over federation in one write: the room row, its state and auth chain as
 * outliers, then the join event on that state, which makes the state current and the join the
 * room's forward extremity. So either the room is live for the user afterwards, or nothing of it is
 * stored. A join already stored (a retried request) changes nothing.
 */
export async function storeRemoteJoin(ctx: HearthContext, input: RemoteJoinInput): Promise<void> {
  const { roomId, version, joinEvent } = input;
  await withRoomWrite(ctx, roomId, async (tx, position) => {
    const existing = await getEvent(tx, joinEvent.event_id);
    if (existing && !existing.outlier) return { value: undefined };
    await insertRoom(tx, {
      roomId,
      roomVersion: version.id,
      creator: input.create.sender,
      isPublic: false,
      createdTs: ctx.clock(),
    });
    await persistOutliers(tx, roomId, version, input.outliers, ctx.clock());
    if (existing) await deleteOutlier(tx, joinEvent.event_id);
    const extremities = (await getForwardExtremities(tx, roomId)).map((e) => e.eventId);
    const outcome = await persistEvent(tx, {
      roomId,
      version,
      event: joinEvent,
      before: stateBeforeFromMap(new Map(input.state), { isCurrent: false, prevEvents: new Map() }),
      streamOrdering: position,
      extremities,
      now: ctx.clock(),
    });
    return { value: undefined, notify: { userIds: [joinEvent.sender, ...outcome.membershipUsers] } };
  });
}
