import type { Context } from "hono";
import type { JsonObject } from "../core/json.ts";
import type { HearthContext } from "../context.ts";
import { invalidParam, notFound } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import type { HearthEnv, RouteModule } from "../http/types.ts";
import { forgetRoom } from "../rooms/forget.ts";
import { updateMembership, type MembershipAction } from "../rooms/membership.ts";
import { getAliasRoomId } from "../storage/rooms/room-aliases.ts";
import { clientPaths } from "./paths.ts";
import { roomIdParam, routeParam } from "./query-params.ts";
import { readContentBody } from "./room-body.ts";
import { bodyReason, bodyUserId } from "./room-params.ts";
import { isValidRoomAlias } from "../rooms/canonical-alias.ts";
import { resolveAnyAlias } from "../rooms/aliases.ts";
import { domainOf } from "../core/auth/identifiers.ts";
import { parseServerName } from "../federation/discovery/server-name.ts";

/** Third-party invites and joins need an identity server, which this server does not talk to. */
function refuseThirdParty(body: JsonObject): void {
  if (body.third_party_signed !== undefined || body.id_server !== undefined || body.medium !== undefined) {
    throw invalidParam("Third-party invites are not supported by this server");
  }
}

/**
 * The servers the client names to join through: `via` (spec v1.12) and the older `server_name`, in
 * that order. Each must be a server name; others are refused rather than tried.
 */
function joinServers(c: Context): string[] {
  const given = [...(c.req.queries("via") ?? []), ...(c.req.queries("server_name") ?? [])];
  for (const server of given) {
    if (parseServerName(server) === undefined) {
      throw invalidParam(`${JSON.stringify(server).slice(0, 100)} is not a valid server name`);
    }
  }
  return given;
}

/**
 * A room id, or an alias resolved to one (another server's alias through a directory query), with
 * the servers to join through should this server not be in the room.
 */
async function resolveRoomIdOrAlias(
  ctx: HearthContext,
  c: Context,
): Promise<{ roomId: string; servers: string[] }> {
  const target = routeParam(c, "roomIdOrAlias");
  const via = joinServers(c);
  if (target.startsWith("#")) {
    if (!isValidRoomAlias(target)) throw invalidParam(`${JSON.stringify(target)} is not a valid room alias`);
    if (domainOf(target) !== ctx.serverName) {
      const resolved = await resolveAnyAlias(ctx, target);
      return { roomId: resolved.room_id, servers: [...via, ...resolved.servers] };
    }
    const roomId = await getAliasRoomId(ctx.db, target);
    if (!roomId) throw notFound(`Room alias ${target} not found`);
    return { roomId, servers: via };
  }
  return { roomId: roomIdParam(c, "roomIdOrAlias"), servers: via };
}

/** Membership bodies are optional in practice (curl users, older clients): an empty body is `{}`. */
const readBody = (c: Context): Promise<JsonObject> => readContentBody(c, { allowEmpty: true });

async function selfMembership(
  ctx: HearthContext,
  c: Context<HearthEnv>,
  roomId: string,
  action: "join" | "leave" | "knock",
  servers?: readonly string[],
): Promise<void> {
  const requester = c.get("requester");
  const body = await readBody(c);
  refuseThirdParty(body);
  await updateMembership(ctx, {
    roomId,
    sender: requester.userId,
    target: requester.userId,
    action,
    reason: bodyReason(body),
    isGuest: requester.isGuest,
    servers,
  });
}

/** Membership endpoints: join, knock, invite, leave, kick, ban, unban, forget. */
export const roomMembershipRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/join/:roomIdOrAlias"), requireAuth(ctx), async (c) => {
    const { roomId, servers } = await resolveRoomIdOrAlias(ctx, c);
    await selfMembership(ctx, c, roomId, "join", servers);
    return c.json({ room_id: roomId });
  });

  app.on("POST", clientPaths("/rooms/:roomId/join"), requireAuth(ctx), async (c) => {
    const roomId = roomIdParam(c);
    await selfMembership(ctx, c, roomId, "join");
    return c.json({ room_id: roomId });
  });

  app.on("POST", clientPaths("/knock/:roomIdOrAlias", { r0: false }), requireAuth(ctx), async (c) => {
    const { roomId } = await resolveRoomIdOrAlias(ctx, c);
    await selfMembership(ctx, c, roomId, "knock");
    return c.json({ room_id: roomId });
  });

  app.on("POST", clientPaths("/rooms/:roomId/leave"), requireAuth(ctx), async (c) => {
    await selfMembership(ctx, c, roomIdParam(c), "leave");
    return c.json({});
  });

  const onOther: Array<[string, MembershipAction]> = [
    ["invite", "invite"],
    ["kick", "kick"],
    ["ban", "ban"],
    ["unban", "unban"],
  ];
  for (const [path, action] of onOther) {
    app.on("POST", clientPaths(`/rooms/:roomId/${path}`), requireAuth(ctx), async (c) => {
      const { userId } = c.get("requester");
      const roomId = roomIdParam(c);
      const body = await readContentBody(c);
      refuseThirdParty(body);
      await updateMembership(ctx, {
        roomId,
        sender: userId,
        target: bodyUserId(body),
        action,
        reason: bodyReason(body),
      });
      return c.json({});
    });
  }

  app.on("POST", clientPaths("/rooms/:roomId/forget"), requireAuth(ctx), async (c) => {
    const roomId = roomIdParam(c);
    await readBody(c);
    await forgetRoom(ctx, roomId, c.get("requester").userId);
    return c.json({});
  });
};
