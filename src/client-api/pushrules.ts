import type { Context } from "hono";
import { notFound, unrecognized } from "../errors.ts";
import { requireAuth } from "../http/auth.ts";
import type { HearthEnv, RouteModule } from "../http/types.ts";
import {
  PUSH_RULE_KINDS,
  defaultPushRules,
  type PushRule,
  type PushRuleKind,
} from "../push/default-rules.ts";
import { clientPaths } from "./paths.ts";

const isKind = (kind: string): kind is PushRuleKind => (PUSH_RULE_KINDS as readonly string[]).includes(kind);

/** The rule at /pushrules/global/{kind}/{ruleId}, or the spec's 404s. */
function findRule(c: Context<HearthEnv>): PushRule {
  const kind = c.req.param("kind") ?? "";
  const ruleId = c.req.param("ruleId") ?? "";
  if (!isKind(kind)) throw unrecognized(`Unknown push rule kind ${JSON.stringify(kind)}`);
  const rule = defaultPushRules(c.get("requester").userId)[kind].find((r) => r.rule_id === ruleId);
  if (!rule) throw notFound("Unknown push rule");
  return rule;
}

/**
 * Push rules, read side (spec: "Push Rules: API"): every user has the server-default ruleset. Changing
 * rules (PUT/DELETE, enabled, actions) is not implemented yet; those requests get 405 M_UNRECOGNIZED.
 */
export const pushRulesRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/pushrules/"), requireAuth(ctx), (c) =>
    c.json({ global: defaultPushRules(c.get("requester").userId) }),
  );
  app.on("GET", clientPaths("/pushrules/global/"), requireAuth(ctx), (c) =>
    c.json(defaultPushRules(c.get("requester").userId)),
  );
  app.on("GET", clientPaths("/pushrules/global/:kind/:ruleId"), requireAuth(ctx), (c) => c.json(findRule(c)));
  app.on("GET", clientPaths("/pushrules/global/:kind/:ruleId/enabled"), requireAuth(ctx), (c) =>
    c.json({ enabled: findRule(c).enabled }),
  );
  app.on("GET", clientPaths("/pushrules/global/:kind/:ruleId/actions"), requireAuth(ctx), (c) =>
    c.json({ actions: findRule(c).actions }),
  );
};
