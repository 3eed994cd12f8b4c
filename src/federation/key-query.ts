/**
 * Notary endpoints (spec server-server §Querying Keys Through Another Server): other servers' key
 * responses as cached (fetched first when stale), each with our signature added; our own keys too.
 * Unauthenticated, like `/_matrix/key/v2/server`.
 */
import type { Context } from "hono";
import type { HearthContext } from "../context.ts";
import { encodeCanonicalJson } from "../core/canonical-json.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { signJson } from "../core/signing.ts";
import { isValidServerName } from "../config/validators.ts";
import { badJson, invalidParam } from "../errors.ts";
import { readJsonObject } from "../http/body.ts";
import type { RouteModule } from "../http/types.ts";

/** Bounds the work (and the key fetches) one unauthenticated request can cause. */
export const MAX_SERVERS_PER_QUERY = 100;

/** `minimum_valid_until_ts` as given, or now (the spec's default). */
function minimumFrom(value: unknown, now: number, where: string): number {
  if (value === undefined) return now;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw invalidParam(`${where} minimum_valid_until_ts must be an integer`);
  }
  return value;
}

function keyIdsOf(response: JsonObject): string[] {
  const ids = (field: unknown): string[] => (isJsonObject(field) ? Object.keys(field) : []);
  return [...ids(response.verify_keys), ...ids(response.old_verify_keys)];
}

async function notarised(
  ctx: HearthContext,
  server: string,
  minimumValidUntilTs: number,
  keyIds: readonly string[],
): Promise<JsonObject[]> {
  if (!isValidServerName(server)) return [];
  const responses = await ctx.federation.keyResponses.keyResponses(server, minimumValidUntilTs);
  return responses
    .filter((r) => keyIds.length === 0 || keyIdsOf(r).some((id) => keyIds.includes(id)))
    .map((r) =>
      r.signatures !== undefined && isJsonObject(r.signatures) && Object.hasOwn(r.signatures, ctx.serverName)
        ? r
        : signJson(r, ctx.serverName, ctx.keys.current, { strict: false }),
    );
}

/** Encoded by us, not c.json: a cached response keeps its numbers exactly as its server signed them. */
function answer(c: Context, serverKeys: JsonObject[]): Response {
  return c.body(encodeCanonicalJson({ server_keys: serverKeys }, { strict: false }), 200, {
    "Content-Type": "application/json",
  });
}

function parseQueryMinimum(c: Context, now: number): number {
  const raw = c.req.query("minimum_valid_until_ts");
  if (raw === undefined) return now;
  if (!/^-?[0-9]{1,16}$/.test(raw)) throw invalidParam("minimum_valid_until_ts must be an integer");
  return minimumFrom(Number(raw), now, "");
}

export const keyQueryRoutes: RouteModule = (app, ctx) => {
  app.get("/_matrix/key/v2/query/:serverName", async (c) => {
    const minimum = parseQueryMinimum(c, ctx.clock());
    return answer(c, await notarised(ctx, c.req.param("serverName"), minimum, []));
  });

  app.post("/_matrix/key/v2/query", async (c) => {
    const body = await readJsonObject(c);
    const query = body.server_keys;
    if (!isJsonObject(query)) throw badJson("server_keys must be an object");
    const servers = Object.entries(query);
    if (servers.length > MAX_SERVERS_PER_QUERY) {
      throw invalidParam(`At most ${MAX_SERVERS_PER_QUERY} servers per query`);
    }
    const now = ctx.clock();
    const plan = servers.map(([server, criteria]) => {
      if (!isJsonObject(criteria)) throw badJson(`server_keys.${server} must be an object`);
      let minimum = -Infinity;
      for (const [keyId, c] of Object.entries(criteria)) {
        if (!isJsonObject(c)) throw badJson(`server_keys.${server}.${keyId} must be an object`);
        minimum = Math.max(
          minimum,
          minimumFrom(c.minimum_valid_until_ts, now, `server_keys.${server}.${keyId}`),
        );
      }
      return { server, keyIds: Object.keys(criteria), minimum: minimum === -Infinity ? now : minimum };
    });
    const answers = await Promise.all(plan.map((p) => notarised(ctx, p.server, p.minimum, p.keyIds)));
    return answer(c, answers.flat());
  });
};
