import type { JsonObject } from "../core/json.ts";
import type { IdentifiedPdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { HearthContext } from "../context.ts";
import { getEvent } from "../storage/rooms/events.ts";
import { recordOutlierMembership } from "../storage/rooms/outlier-writes.ts";
import { insertRoom } from "../storage/rooms/rooms.ts";
import { persistEvent } from "./persist-event.ts";
import { withRoomWrite } from "./room-write.ts";

/**
 * Stores an invite a remote server sent for a local user (`/invite`), in a room this server may not
 * know: the room is recorded, the invite kept as an outlier carrying the stripped room state in
 * `unsigned.invite_room_state` (what /sync shows as invite_state), and the user's membership set to
 * invite at a stream position, waking their syncs.
 */
export async function storeRemoteInvite(
  ctx: HearthContext,
  input: {
    roomId: string;
    version: RoomVersion;
    event: IdentifiedPdu;
    inviteRoomState: JsonObject[];
    creator: string;
  },
): Promise<void> {
  const { roomId, version, event } = input;
  const invitee = event.state_key as string;
  await withRoomWrite(ctx, roomId, async (tx, position) => {
    await insertRoom(tx, {
      roomId,
      roomVersion: version.id,
      creator: input.creator,
      isPublic: false,
      createdTs: ctx.clock(),
    });
    if (!(await getEvent(tx, event.event_id))) {
      await persistEvent(tx, {
        roomId,
        version,
        event: { ...event, unsigned: { invite_room_state: input.inviteRoomState } },
        before: undefined,
        streamOrdering: null,
        now: ctx.clock(),
      });
    }
    const recorded = await recordOutlierMembership(tx, {
      roomId,
      userId: invitee,
      sender: event.sender,
      membership: "invite",
      eventId: event.event_id,
      streamOrdering: position,
    });
    return { value: undefined, notify: recorded ? { userIds: [invitee] } : undefined };
  });
}
