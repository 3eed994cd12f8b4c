import type { JsonObject } from "../../core/json.ts";
import type { HearthContext } from "../../context.ts";
import { notFound } from "../../errors.ts";
import { storeRemoteJoin } from "../../rooms/remote-join.ts";
import { eventFromTemplate, makeMembership, sendMembership } from "./membership-template.ts";
import { allServersFailed, finalError, RemoteServerError } from "./remote-server-error.ts";
import { checkSendJoinResponse } from "./send-join-response.ts";

export interface RemoteJoinRequest {
  roomId: string;
  userId: string;
  /** Servers to try, in order (the client's `via`/`server_name`, an alias's servers, the room id's). */
  servers: readonly string[];
  /** Member content beyond `membership`: profile, reason. */
  content: JsonObject;
}

/** The servers to try, in order, without repeats and without this server. */
export function candidateServers(ctx: HearthContext, servers: readonly string[]): string[] {
  return [...new Set(servers)].filter((s) => s !== "" && s !== ctx.serverName);
}

/**
 * Joins a room this server is not in through the given servers, in order, falling back to the next
 * on failure: make_join (every version we support), the template checked, signed, send_join v2, the
 * returned state and auth chain checked, and all of it stored with the join in one write.
 */
export async function joinRemoteRoom(
  ctx: HearthContext,
  req: RemoteJoinRequest,
): Promise<{ eventId: string }> {
  const servers = candidateServers(ctx, req.servers);
  if (servers.length === 0) throw notFound("No known servers to join the room through");
  const errors: RemoteServerError[] = [];
  for (const server of servers) {
    try {
      const { version, template } = await makeMembership(ctx, server, req.roomId, req.userId, "join");
      const event = eventFromTemplate(ctx, server, version, template, { ...req.content, membership: "join" });
      const body = await sendMembership(ctx, server, version, event, "join");
      const checked = await checkSendJoinResponse(ctx, server, version, event, body);
      await storeRemoteJoin(ctx, {
        roomId: req.roomId,
        version,
        create: checked.create,
        outliers: checked.outliers,
        state: checked.state,
        joinEvent: checked.joinEvent,
      });
      ctx.log.info({ roomId: req.roomId, server, userId: req.userId }, "joined remote room");
      return { eventId: checked.joinEvent.event_id };
    } catch (e) {
      if (!(e instanceof RemoteServerError)) throw e;
      ctx.log.warn({ roomId: req.roomId, server, err: e.message }, "remote join failed");
      if (!e.failover) throw finalError(e);
      errors.push(e);
    }
  }
  throw allServersFailed(`Failed to join ${req.roomId}`, errors);
}
