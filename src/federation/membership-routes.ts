import { isJsonObject } from "../core/json.ts";
import { badJson } from "../errors.ts";
import type { RouteModule } from "../http/types.ts";
import { boolQuery, routeParam } from "../client-api/query-params.ts";
import { federationJson } from "./json-response.ts";
import { requireServerAuth } from "./request-auth.ts";
import { receiveInvite } from "./serving/invite.ts";
import { makeMembershipTemplate, sendJoin, sendKnock, sendLeave } from "./serving/membership.ts";

const V1 = "/_matrix/federation/v1";
const V2 = "/_matrix/federation/v2";

/**
 * Joins, leaves, knocks and invites from other servers (spec server-server §Joining Rooms, §Leaving
 * Rooms, §Knocking, §Inviting). The v1 send_join / send_leave (removed in v1.18, still sent by older
 * servers) answer in their `[200, body]` shape.
 */
export const membershipRoutes: RouteModule = (app, ctx) => {
  const auth = requireServerAuth(ctx);

  for (const membership of ["join", "leave", "knock"] as const) {
    app.get(`${V1}/make_${membership}/:roomId/:userId`, auth, async (c) => {
      const versions = membership === "leave" ? undefined : c.req.queries("ver");
      return federationJson(
        c,
        await makeMembershipTemplate(
          ctx,
          c.var.origin,
          routeParam(c, "roomId"),
          routeParam(c, "userId"),
          membership,
          versions,
        ),
      );
    });
  }

  for (const version of [V1, V2]) {
    app.put(`${version}/send_join/:roomId/:eventId`, auth, async (c) => {
      const body = await sendJoin(
        ctx,
        ctx.federation,
        c.var.origin,
        routeParam(c, "roomId"),
        routeParam(c, "eventId"),
        c.var.federationContent,
        version === V2 && boolQuery(c, "omit_members") === true,
      );
      return federationJson(c, version === V1 ? [200, body] : body);
    });
    app.put(`${version}/send_leave/:roomId/:eventId`, auth, async (c) => {
      const body = await sendLeave(
        ctx,
        ctx.federation,
        c.var.origin,
        routeParam(c, "roomId"),
        routeParam(c, "eventId"),
        c.var.federationContent,
      );
      return federationJson(c, version === V1 ? [200, body] : body);
    });
  }

  app.put(`${V1}/send_knock/:roomId/:eventId`, auth, async (c) =>
    federationJson(
      c,
      await sendKnock(
        ctx,
        ctx.federation,
        c.var.origin,
        routeParam(c, "roomId"),
        routeParam(c, "eventId"),
        c.var.federationContent,
      ),
    ),
  );

  app.put(`${V2}/invite/:roomId/:eventId`, auth, async (c) => {
    const body = c.var.federationContent;
    if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
    if (typeof body.room_version !== "string") throw badJson("'room_version' is required");
    return federationJson(
      c,
      await receiveInvite(
        ctx,
        ctx.federation,
        c.var.origin,
        routeParam(c, "roomId"),
        routeParam(c, "eventId"),
        {
          roomVersion: body.room_version,
          event: body.event,
          inviteRoomState: body.invite_room_state,
        },
      ),
    );
  });

  // v1 carries the bare event and is only for rooms of versions 1 and 2, which predate /v2/invite.
  app.put(`${V1}/invite/:roomId/:eventId`, auth, async (c) => {
    const event = c.var.federationContent;
    const unsigned = isJsonObject(event) && isJsonObject(event.unsigned) ? event.unsigned : {};
    const body = await receiveInvite(
      ctx,
      ctx.federation,
      c.var.origin,
      routeParam(c, "roomId"),
      routeParam(c, "eventId"),
      { roomVersion: "1", event, inviteRoomState: unsigned.invite_room_state },
    );
    return federationJson(c, [200, body]);
  });
};
