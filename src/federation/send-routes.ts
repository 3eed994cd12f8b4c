import { isJsonObject } from "../core/json.ts";
import { badJson } from "../errors.ts";
import type { RouteModule } from "../http/types.ts";
import { routeParam } from "../client-api/query-params.ts";
import { processTransaction } from "./inbound/transaction.ts";
import { federationJson } from "./json-response.ts";
import { requireServerAuth } from "./request-auth.ts";

/** `PUT /_matrix/federation/v1/send/{txnId}`: a transaction of PDUs and EDUs from another server. */
export const sendRoutes: RouteModule = (app, ctx) => {
  app.put("/_matrix/federation/v1/send/:txnId", requireServerAuth(ctx), async (c) => {
    const body = c.var.federationContent;
    if (!isJsonObject(body)) throw badJson("The transaction must be a JSON object");
    const txnId = routeParam(c, "txnId");
    const response = await processTransaction(
      ctx,
      ctx.federation,
      ctx.federationInbound,
      c.var.origin,
      txnId,
      body,
    );
    return federationJson(c, response);
  });
};
