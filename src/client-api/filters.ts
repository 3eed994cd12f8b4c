import { badJson, notFound } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { RouteModule } from "../http/types.ts";
import { getFilterJson, insertFilter } from "../storage/sync/filters.ts";
import { FilterError, parseFilter } from "../sync/filter.ts";
import { requireSelf } from "./path-checks.ts";
import { clientPaths } from "./paths.ts";
import { routeParam } from "./query-params.ts";

/** `POST /user/{userId}/filter` and `GET /user/{userId}/filter/{filterId}`. */
export const filterRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/user/:userId/filter"), requireAuth(ctx), async (c) => {
    requireSelf(c.get("requester"), routeParam(c, "userId"), "create filters");
    const body = await readJsonObject(c);
    try {
      parseFilter(body);
    } catch (err) {
      if (err instanceof FilterError) throw badJson(`Invalid filter: ${err.message}`);
      throw err;
    }
    const filterId = await insertFilter(ctx.db, c.get("requester").userId, JSON.stringify(body), ctx.clock());
    return c.json({ filter_id: filterId });
  });

  app.on("GET", clientPaths("/user/:userId/filter/:filterId"), requireAuth(ctx), async (c) => {
    requireSelf(c.get("requester"), routeParam(c, "userId"), "get filters");
    const json = await getFilterJson(ctx.db, c.get("requester").userId, routeParam(c, "filterId"));
    if (json === undefined) throw notFound("No such filter.");
    return c.body(json, 200, { "content-type": "application/json" });
  });
};
