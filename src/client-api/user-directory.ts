import { badJson, missingParam } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import { readJsonObject } from "../http/body.ts";
import type { RouteModule } from "../http/types.ts";
import { DEFAULT_USER_SEARCH_LIMIT, MAX_USER_SEARCH_LIMIT, searchUsers } from "../profiles/user-directory.ts";
import { clientPaths } from "./paths.ts";
import { containsNul } from "./query-params.ts";

export const userDirectoryRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/user_directory/search"), requireAuth(ctx), async (c) => {
    const body = await readJsonObject(c);
    const term = body.search_term;
    if (term === undefined || term === null) throw missingParam("Missing 'search_term'");
    if (typeof term !== "string" || containsNul(term))
      throw badJson("'search_term' must be a string without NUL");
    const limit = body.limit ?? DEFAULT_USER_SEARCH_LIMIT;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) {
      throw badJson("'limit' must be a non-negative integer");
    }
    const { userId } = c.get("requester");
    return c.json(await searchUsers(ctx, userId, term, Math.min(limit, MAX_USER_SEARCH_LIMIT)));
  });
};
