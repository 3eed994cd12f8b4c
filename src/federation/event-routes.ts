import { isJsonObject } from "../core/json.ts";
import { badJson, invalidParam, missingParam } from "../errors.ts";
import type { RouteModule } from "../http/types.ts";
import { intQuery, routeParam } from "../client-api/query-params.ts";
import { MISSING_EVENTS_LIMIT } from "./inbound/receive-pdu.ts";
import { federationJson } from "./json-response.ts";
import { requireServerAuth } from "./request-auth.ts";
import {
  backfillForServer,
  eventAuthForServer,
  eventForServer,
  missingEventsForServer,
  stateForServer,
  stateIdsForServer,
} from "./serving/event-reads.ts";

/** The most events one backfill or get_missing_events answer carries (Synapse's cap too). */
const MAX_EVENTS_PER_REQUEST = 100;

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw badJson(`'${name}' must be an array of event ids`);
  }
  return value as string[];
}

/** Events, state and history for other servers (spec server-server: Retrieving events, Backfilling). */
export const eventRoutes: RouteModule = (app, ctx) => {
  const auth = requireServerAuth(ctx);

  app.get("/_matrix/federation/v1/event/:eventId", auth, async (c) =>
    federationJson(c, await eventForServer(ctx, routeParam(c, "eventId"), c.var.origin)),
  );

  app.get("/_matrix/federation/v1/event_auth/:roomId/:eventId", auth, async (c) =>
    federationJson(
      c,
      await eventAuthForServer(ctx, routeParam(c, "roomId"), routeParam(c, "eventId"), c.var.origin),
    ),
  );

  for (const [path, read] of [
    ["state", stateForServer],
    ["state_ids", stateIdsForServer],
  ] as const) {
    app.get(`/_matrix/federation/v1/${path}/:roomId`, auth, async (c) => {
      const eventId = c.req.query("event_id");
      if (!eventId) throw missingParam("'event_id' is required");
      return federationJson(c, await read(ctx, routeParam(c, "roomId"), eventId, c.var.origin));
    });
  }

  app.get("/_matrix/federation/v1/backfill/:roomId", auth, async (c) => {
    const from = c.req.queries("v") ?? [];
    if (from.length === 0) throw missingParam("'v' is required");
    const limit = intQuery(c, "limit", { default: 10, min: 0, max: MAX_EVENTS_PER_REQUEST });
    return federationJson(
      c,
      await backfillForServer(ctx, routeParam(c, "roomId"), from, limit, c.var.origin),
    );
  });

  app.post("/_matrix/federation/v1/get_missing_events/:roomId", auth, async (c) => {
    const body = c.var.federationContent;
    if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
    const limit = body.limit ?? MISSING_EVENTS_LIMIT;
    const minDepth = body.min_depth ?? 0;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) {
      throw invalidParam("'limit' must be a non-negative integer");
    }
    if (typeof minDepth !== "number" || !Number.isInteger(minDepth)) {
      throw invalidParam("'min_depth' must be an integer");
    }
    const query = {
      earliest: stringList(body.earliest_events ?? [], "earliest_events"),
      latest: stringList(body.latest_events, "latest_events"),
      limit: Math.min(limit, MAX_EVENTS_PER_REQUEST),
      minDepth,
    };
    return federationJson(c, await missingEventsForServer(ctx, routeParam(c, "roomId"), query, c.var.origin));
  });
};
