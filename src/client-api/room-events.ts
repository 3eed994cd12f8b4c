import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { eventContext, roomEvent } from "../rooms/event-context.ts";
import { roomMessages } from "../rooms/messages.ts";
import { parsePaginationToken } from "../rooms/pagination-token.ts";
import { parseRoomEventFilterParam } from "../rooms/room-event-filter.ts";
import { clientPaths } from "./paths.ts";
import { dirQuery, eventIdParam, intQuery, roomIdParam } from "./query-params.ts";

/** Synapse's cap too: a page of a thousand events is already a large response. */
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 10;

/** Reading a room's history: one event, a page of events, the context around an event. */
export const roomEventsRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/rooms/:roomId/event/:eventId"), requireAuth(ctx), async (c) => {
    const { userId, deviceId } = c.get("requester");
    return c.json(
      await roomEvent(ctx, { roomId: roomIdParam(c), eventId: eventIdParam(c), userId, deviceId }),
    );
  });

  app.on("GET", clientPaths("/rooms/:roomId/messages"), requireAuth(ctx), async (c) => {
    const { userId, deviceId } = c.get("requester");
    const roomId = roomIdParam(c);
    const dir = dirQuery(c, { required: true });
    const fromText = c.req.query("from");
    const toText = c.req.query("to");
    const filter = parseRoomEventFilterParam(c.req.query("filter"));
    return c.json(
      await roomMessages(ctx, {
        roomId,
        userId,
        deviceId,
        dir,
        from: fromText ? { text: fromText, token: parsePaginationToken(fromText, "from") } : undefined,
        to: toText ? parsePaginationToken(toText, "to") : undefined,
        limit: intQuery(c, "limit", { default: filter.limit ?? DEFAULT_PAGE, min: 0, max: MAX_PAGE }),
        filter,
      }),
    );
  });

  app.on("GET", clientPaths("/rooms/:roomId/context/:eventId"), requireAuth(ctx), async (c) => {
    const { userId, deviceId } = c.get("requester");
    return c.json(
      await eventContext(ctx, {
        roomId: roomIdParam(c),
        eventId: eventIdParam(c),
        userId,
        deviceId,
        limit: intQuery(c, "limit", { default: DEFAULT_PAGE, min: 0, max: MAX_PAGE }),
        filter: parseRoomEventFilterParam(c.req.query("filter")),
      }),
    );
  });
};
