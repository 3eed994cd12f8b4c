import { deviceListDelta } from "../e2ee/device-lists.ts";
import { claimKeys } from "../e2ee/keys-claim.ts";
import { queryKeys } from "../e2ee/keys-query.ts";
import { uploadKeys } from "../e2ee/keys-upload.ts";
import { invalidParam, missingParam } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { parseSyncToken, type SyncToken } from "../sync/tokens.ts";
import { readE2eeBody } from "./e2ee-body.ts";
import { clientPaths } from "./paths.ts";

function tokenQuery(value: string | undefined, name: string): SyncToken {
  if (value === undefined || value === "") throw missingParam(`Missing '${name}'`);
  const token = parseSyncToken(value);
  if (!token) throw invalidParam(`'${name}' is not a sync token`);
  return token;
}

/** Device keys (spec: "Key management API"): upload, query, claim and keys/changes. */
export const keysRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/keys/upload"), requireAuth(ctx), async (c) => {
    const counts = await uploadKeys(ctx, c.get("requester"), await readE2eeBody(c));
    return c.json({ one_time_key_counts: counts });
  });

  app.on("POST", clientPaths("/keys/query"), requireAuth(ctx), async (c) => {
    return c.json(await queryKeys(ctx, c.get("requester").userId, await readE2eeBody(c)));
  });

  app.on("POST", clientPaths("/keys/claim"), requireAuth(ctx), async (c) => {
    return c.json(await claimKeys(ctx, await readE2eeBody(c)));
  });

  app.on("GET", clientPaths("/keys/changes"), requireAuth(ctx), async (c) => {
    const from = tokenQuery(c.req.query("from"), "from");
    const to = tokenQuery(c.req.query("to"), "to");
    return c.json(await deviceListDelta(ctx, c.get("requester").userId, from, to));
  });
};
