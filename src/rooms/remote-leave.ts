import type { IdentifiedPdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { HearthContext } from "../context.ts";
import { getEvent } from "../storage/rooms/events.ts";
import { recordOutlierMembership } from "../storage/rooms/outlier-writes.ts";
import { persistEvent } from "./persist-event.ts";
import { withRoomWrite } from "./room-write.ts";

/**
 * Stores a local user's leave of a room this server is not in (an invite or knock rejected through
 * the room's servers, or locally when none answered): kept as an outlier, and the user's membership
 * set to leave at a stream position, so their sync drops the invite.
 */
export async function storeRemoteLeave(
  ctx: HearthContext,
  input: { roomId: string; version: RoomVersion; event: IdentifiedPdu },
): Promise<void> {
  const { roomId, version, event } = input;
  const userId = event.state_key as string;
  await withRoomWrite(ctx, roomId, async (tx, position) => {
    if (!(await getEvent(tx, event.event_id))) {
      await persistEvent(tx, {
        roomId,
        version,
        event,
        before: undefined,
        streamOrdering: null,
        now: ctx.clock(),
      });
    }
    const recorded = await recordOutlierMembership(tx, {
      roomId,
      userId,
      sender: event.sender,
      membership: "leave",
      eventId: event.event_id,
      streamOrdering: position,
    });
    return { value: undefined, notify: recorded ? { userIds: [userId] } : undefined };
  });
}
