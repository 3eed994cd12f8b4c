import type { JsonObject } from "../../core/json.ts";
import type { IdentifiedPdu } from "../../core/pdu.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import type { HearthContext } from "../../context.ts";
import { buildEvent } from "../../rooms/build-event.ts";
import { storeRemoteLeave } from "../../rooms/remote-leave.ts";
import { eventFromTemplate, makeMembership, sendMembership } from "./membership-template.ts";
import { candidateServers } from "./remote-join.ts";
import { finalError, RemoteServerError } from "./remote-server-error.ts";

export interface RemoteLeaveRequest {
  roomId: string;
  userId: string;
  /** The invite (or knock) being withdrawn: its sender's server is asked first. */
  membershipEvent: IdentifiedPdu;
  version: RoomVersion;
  servers: readonly string[];
  content: JsonObject;
}

/**
 * Rejects an invite (or withdraws a knock) in a room this server is not in: make_leave / send_leave
 * v2 through the given servers in order. When none of them answers, the leave is made locally, as
 * Synapse does, citing the invite: the user is rid of it, though the room may not hear of it.
 */
export async function leaveRemoteRoom(
  ctx: HearthContext,
  req: RemoteLeaveRequest,
): Promise<{ eventId: string }> {
  for (const server of candidateServers(ctx, req.servers)) {
    try {
      const { version, template } = await makeMembership(ctx, server, req.roomId, req.userId, "leave");
      const event = eventFromTemplate(ctx, server, version, template, {
        ...req.content,
        membership: "leave",
      });
      await sendMembership(ctx, server, version, event, "leave");
      await storeRemoteLeave(ctx, { roomId: req.roomId, version, event });
      return { eventId: event.event_id };
    } catch (e) {
      if (!(e instanceof RemoteServerError)) throw e;
      ctx.log.warn({ roomId: req.roomId, server, err: e.message }, "remote leave failed");
      if (!e.failover) throw finalError(e);
    }
  }
  const event = buildEvent({
    version: req.version,
    roomId: req.roomId,
    sender: req.userId,
    draft: { type: "m.room.member", stateKey: req.userId, content: { ...req.content, membership: "leave" } },
    prevEvents: [req.membershipEvent],
    authEvents: [req.membershipEvent],
    originServerTs: ctx.clock(),
    serverName: ctx.serverName,
    key: ctx.keys.current,
  });
  await storeRemoteLeave(ctx, { roomId: req.roomId, version: req.version, event });
  return { eventId: event.event_id };
}
