import { invalidParam } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { parsePaginationToken } from "../rooms/pagination-token.ts";
import { roomRelations, roomThreads } from "../rooms/relations-read.ts";
import { clientV1Paths } from "./paths.ts";
import { boolQuery, dirQuery, eventIdParam, intQuery, roomIdParam, routeParam } from "./query-params.ts";

const MAX_PAGE = 1000;
/** Matches what clients usually ask for; the spec leaves the default to the server. */
const DEFAULT_RELATIONS_PAGE = 50;
const DEFAULT_THREADS_PAGE = 20;
const MAX_THREADS_PAGE = 100;

/** Event relationships (v1 only): children of an event, and the thread roots of a room. */
export const relationsRoutes: RouteModule = (app, ctx) => {
  const relations = [
    "/rooms/:roomId/relations/:eventId",
    "/rooms/:roomId/relations/:eventId/:relType",
    "/rooms/:roomId/relations/:eventId/:relType/:eventType",
  ].flatMap(clientV1Paths);
  app.on("GET", relations, requireAuth(ctx), async (c) => {
    const { userId, deviceId } = c.get("requester");
    const params = c.req.param() as Record<string, string | undefined>;
    const fromText = c.req.query("from");
    const toText = c.req.query("to");
    return c.json(
      await roomRelations(ctx, {
        roomId: roomIdParam(c),
        eventId: eventIdParam(c),
        userId,
        deviceId,
        relType: params.relType === undefined ? undefined : routeParam(c, "relType"),
        eventType: params.eventType === undefined ? undefined : routeParam(c, "eventType"),
        from: fromText ? { text: fromText, token: parsePaginationToken(fromText, "from") } : undefined,
        to: toText ? parsePaginationToken(toText, "to") : undefined,
        limit: intQuery(c, "limit", { default: DEFAULT_RELATIONS_PAGE, min: 0, max: MAX_PAGE }),
        dir: dirQuery(c, { required: false }),
        recurse: boolQuery(c, "recurse"),
      }),
    );
  });

  app.on("GET", clientV1Paths("/rooms/:roomId/threads"), requireAuth(ctx), async (c) => {
    const { userId, deviceId } = c.get("requester");
    const include = c.req.query("include") ?? "all";
    if (include !== "all" && include !== "participated") {
      throw invalidParam("'include' must be 'all' or 'participated'");
    }
    const fromText = c.req.query("from");
    return c.json(
      await roomThreads(ctx, {
        roomId: roomIdParam(c),
        userId,
        deviceId,
        include,
        from: fromText ? parsePaginationToken(fromText, "from") : undefined,
        limit: intQuery(c, "limit", { default: DEFAULT_THREADS_PAGE, min: 1, max: MAX_THREADS_PAGE }),
      }),
    );
  });
};
