import type { Context } from "hono";
import { splitStateTupleKey } from "../core/state-key.ts";
import type { JsonObject } from "../core/json.ts";
import { forbidden, invalidParam } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { serializeEvents } from "../rooms/serialize.ts";
import { parsePaginationToken } from "../rooms/pagination-token.ts";
import { visibleState, visibleStateIds, visibleStateIdsAt } from "../rooms/state-access.ts";
import { getEvents } from "../storage/rooms/events.ts";
import { getCurrentMembership, getRoomMembers, getRoomsForUser } from "../storage/rooms/memberships.ts";
import { clientPaths } from "./paths.ts";
import { roomIdParam } from "./query-params.ts";

const MEMBERSHIPS = new Set(["join", "invite", "knock", "leave", "ban"]);

function membershipQuery(c: Context, name: string): string | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === "") return undefined;
  if (!MEMBERSHIPS.has(value)) throw invalidParam(`'${name}' must be one of ${[...MEMBERSHIPS].join(", ")}`);
  return value;
}

/** `membership` and `not_membership` together mean either one (spec), each alone its own condition. */
function memberFilter(
  membership: string | undefined,
  notMembership: string | undefined,
): (m: string) => boolean {
  if (membership !== undefined && notMembership !== undefined)
    return (m) => m === membership || m !== notMembership;
  if (membership !== undefined) return (m) => m === membership;
  if (notMembership !== undefined) return (m) => m !== notMembership;
  return () => true;
}

/** GET /joined_rooms, /rooms/{roomId}/members, /rooms/{roomId}/joined_members. */
export const roomMembersRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/joined_rooms"), requireAuth(ctx), async (c) => {
    const rooms = await getRoomsForUser(ctx.db, c.get("requester").userId, ["join"]);
    return c.json({ joined_rooms: rooms.map((r) => r.roomId) });
  });

  // `at`: a sync or pagination token; members as of that stream position (a topological token counts
  // by its stream part), capped at the user's leaving like the rest of the answer.
  app.on("GET", clientPaths("/rooms/:roomId/members"), requireAuth(ctx), async (c) => {
    const { userId } = c.get("requester");
    const roomId = roomIdParam(c);
    const keep = memberFilter(membershipQuery(c, "membership"), membershipQuery(c, "not_membership"));
    const atText = c.req.query("at");
    const at = atText ? parsePaginationToken(atText, "at") : undefined;
    const visible = await visibleState(ctx, roomId, userId);
    let ids: string[];
    if (at !== undefined) {
      const stream = at.kind === "stream" ? at.stream : at.position.stream;
      ids = [...(await visibleStateIdsAt(ctx, roomId, visible, stream))]
        .filter(([k]) => splitStateTupleKey(k)[0] === "m.room.member")
        .map(([, id]) => id);
    } else if (visible.kind === "current") {
      ids = (await getRoomMembers(ctx.db, roomId)).filter((m) => keep(m.membership)).map((m) => m.eventId);
    } else {
      ids = [...(await visibleStateIds(ctx, roomId, visible))]
        .filter(([k]) => splitStateTupleKey(k)[0] === "m.room.member")
        .map(([, id]) => id);
    }
    const events = [...(await getEvents(ctx.db, ids)).values()].filter((ev) =>
      keep(typeof ev.pdu.content.membership === "string" ? ev.pdu.content.membership : ""),
    );
    events.sort((a, b) => ((a.pdu.state_key as string) < (b.pdu.state_key as string) ? -1 : 1));
    return c.json({ chunk: await serializeEvents(ctx, events, { userId, bundle: "none" }) });
  });

  app.on("GET", clientPaths("/rooms/:roomId/joined_members"), requireAuth(ctx), async (c) => {
    const { userId } = c.get("requester");
    const roomId = roomIdParam(c);
    if ((await getCurrentMembership(ctx.db, roomId, userId))?.membership !== "join") {
      throw forbidden("You are not joined to this room");
    }
    const members = await getRoomMembers(ctx.db, roomId, ["join"]);
    const events = await getEvents(
      ctx.db,
      members.map((m) => m.eventId),
    );
    const joined: JsonObject = {};
    for (const m of members) {
      const content = events.get(m.eventId)?.pdu.content;
      const info: JsonObject = {};
      if (typeof content?.displayname === "string") info.display_name = content.displayname;
      if (typeof content?.avatar_url === "string") info.avatar_url = content.avatar_url;
      joined[m.userId] = info;
    }
    return c.json({ joined });
  });
};
