import type { Context } from "hono";
import type { HearthContext } from "../context.ts";
import { invalidParam, notFound } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import type { HearthEnv, RouteModule } from "../http/types.ts";
import { checkCanonicalAliasContent } from "../rooms/canonical-alias.ts";
import { setMemberState } from "../rooms/membership.ts";
import { sendLocalEvent } from "../rooms/send-event.ts";
import { serializeEvents } from "../rooms/serialize.ts";
import { visibleState, visibleStateEventId, visibleStateIds } from "../rooms/state-access.ts";
import { getEvent, getEvents } from "../storage/rooms/events.ts";
import { clientPaths } from "./paths.ts";
import { roomIdParam, routeParam } from "./query-params.ts";
import { readContentBody } from "./room-body.ts";
import { requireEventType, requireUserId } from "./room-params.ts";
import { limitMessages } from "./rooms-send.ts";

/** The state key is optional: `/state/{type}` and `/state/{type}/` both mean the empty key. */
function stateKeyParam(c: Context): string {
  const key = (c.req.param("stateKey") as string | undefined) ?? "";
  if (key.includes("\u0000")) throw invalidParam("'stateKey' must not contain NUL");
  return key;
}

async function putState(ctx: HearthContext, c: Context<HearthEnv>): Promise<Response> {
  const requester = c.get("requester");
  const roomId = roomIdParam(c);
  const eventType = requireEventType(routeParam(c, "eventType"));
  const stateKey = stateKeyParam(c);
  const content = await readContentBody(c);
  limitMessages(ctx, requester);
  if (eventType === "m.room.member") {
    const { eventId } = await setMemberState(ctx, {
      roomId,
      sender: requester.userId,
      target: requireUserId(stateKey, "state_key"),
      content,
    });
    return c.json({ event_id: eventId });
  }
  const { eventId } = await sendLocalEvent(ctx, {
    roomId,
    sender: requester.userId,
    draft: { type: eventType, stateKey, content },
    // Synapse answers an unchanged state write with the existing event; clients re-send settings freely.
    dedupeState: true,
    prepare:
      eventType === "m.room.canonical_alias"
        ? async (view) => {
            await checkCanonicalAliasContent(ctx, view, content);
            return undefined;
          }
        : undefined,
  });
  return c.json({ event_id: eventId });
}

async function getState(ctx: HearthContext, c: Context<HearthEnv>): Promise<Response> {
  const { userId } = c.get("requester");
  const roomId = roomIdParam(c);
  const eventType = routeParam(c, "eventType");
  const format = c.req.query("format") ?? "content";
  if (format !== "content" && format !== "event") throw invalidParam("'format' must be 'content' or 'event'");
  const visible = await visibleState(ctx, roomId, userId);
  const eventId = await visibleStateEventId(ctx, roomId, visible, eventType, stateKeyParam(c));
  const ev = eventId === undefined ? undefined : await getEvent(ctx.db, eventId);
  if (!ev) throw notFound("Event not found.");
  if (format === "content") return c.json(ev.pdu.content);
  const [json] = await serializeEvents(ctx, [ev], { userId, bundle: "none" });
  if (!json) throw notFound("Event not found.");
  return c.json(json);
}

/** PUT/GET /rooms/{roomId}/state/{eventType}/{stateKey} and GET /rooms/{roomId}/state. */
export const roomStateRoutes: RouteModule = (app, ctx) => {
  const single = [
    ...clientPaths("/rooms/:roomId/state/:eventType"),
    ...clientPaths("/rooms/:roomId/state/:eventType/:stateKey{.*}"),
  ];
  app.on("PUT", single, requireAuth(ctx), (c) => putState(ctx, c));
  app.on("GET", single, requireAuth(ctx), (c) => getState(ctx, c));

  app.on("GET", clientPaths("/rooms/:roomId/state"), requireAuth(ctx), async (c) => {
    const { userId } = c.get("requester");
    const roomId = roomIdParam(c);
    const visible = await visibleState(ctx, roomId, userId);
    const ids = await visibleStateIds(ctx, roomId, visible);
    const events = await getEvents(ctx.db, [...ids.values()]);
    return c.json(await serializeEvents(ctx, [...events.values()], { userId, bundle: "none" }));
  });
};
