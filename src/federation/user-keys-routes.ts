import { isJsonObject, type JsonObject } from "../core/json.ts";
import { serverOfUserId } from "../e2ee/input.ts";
import { claimLocalKeys, parseKeyClaims } from "../e2ee/keys-claim.ts";
import { localDeviceList, localKeys } from "../e2ee/local-keys.ts";
import { badJson, invalidParam } from "../errors.ts";
import { routeParam } from "../client-api/query-params.ts";
import type { RouteModule } from "../http/types.ts";
import { federationJson } from "./json-response.ts";
import { requireServerAuth } from "./request-auth.ts";

const V1 = "/_matrix/federation/v1";

function body(content: unknown): JsonObject {
  if (!isJsonObject(content)) throw badJson("The request body must be a JSON object");
  return content;
}

/**
 * End-to-end encryption keys of this server's users, for other servers (spec server-server
 * §End-to-End Encryption): device lists, key queries and one-time key claims. Entries for users of
 * other servers are left out: a server only speaks for its own users.
 */
export const userKeysRoutes: RouteModule = (app, ctx) => {
  const auth = requireServerAuth(ctx);
  const isLocal = (userId: string): boolean => serverOfUserId(userId) === ctx.serverName;

  app.get(`${V1}/user/devices/:userId`, auth, async (c) => {
    const userId = routeParam(c, "userId");
    if (!isLocal(userId)) throw invalidParam(`${userId} is not a user of this server`);
    return federationJson(c, await localDeviceList(ctx, userId));
  });

  app.post(`${V1}/user/keys/query`, auth, async (c) => {
    const requested = body(c.var.federationContent).device_keys;
    if (!isJsonObject(requested)) throw badJson("'device_keys' must be an object keyed by user ID");
    const wanted = new Map<string, string[]>();
    for (const [userId, devices] of Object.entries(requested)) {
      if (!isLocal(userId)) continue;
      if (devices !== null && (!Array.isArray(devices) || !devices.every((d) => typeof d === "string"))) {
        throw badJson(`'device_keys.${userId}' must be a list of device IDs`);
      }
      wanted.set(userId, (devices ?? []) as string[]);
    }
    // Signatures by other users' user-signing keys are their business: only the owners' are shown.
    const { user_signing_keys: _own, ...answer } = await localKeys(ctx, wanted, "");
    return federationJson(c, answer as unknown as JsonObject);
  });

  app.post(`${V1}/user/keys/claim`, auth, async (c) => {
    const claims = parseKeyClaims(body(c.var.federationContent).one_time_keys).filter((k) =>
      isLocal(k.userId),
    );
    return federationJson(c, { one_time_keys: await claimLocalKeys(ctx, claims) });
  });
};
