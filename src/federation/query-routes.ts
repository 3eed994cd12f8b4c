import { missingParam } from "../errors.ts";
import type { RouteModule } from "../http/types.ts";
import { getFullProfile, getProfileField } from "../profiles/profile.ts";
import { resolveAlias } from "../rooms/aliases.ts";
import { federationJson } from "./json-response.ts";
import { requireServerAuth } from "./request-auth.ts";

/** Alias and profile queries from other servers (spec server-server §Querying). */
export const queryRoutes: RouteModule = (app, ctx) => {
  const auth = requireServerAuth(ctx);

  app.get("/_matrix/federation/v1/query/directory", auth, async (c) => {
    const alias = c.req.query("room_alias");
    if (!alias) throw missingParam("'room_alias' is required");
    return federationJson(c, await resolveAlias(ctx, alias));
  });

  app.get("/_matrix/federation/v1/query/profile", auth, async (c) => {
    const userId = c.req.query("user_id");
    if (!userId) throw missingParam("'user_id' is required");
    const field = c.req.query("field");
    return federationJson(
      c,
      field ? await getProfileField(ctx, userId, field) : await getFullProfile(ctx, userId),
    );
  });
};
