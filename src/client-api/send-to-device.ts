import { sendToDevice } from "../e2ee/to-device.ts";
import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { readE2eeBody } from "./e2ee-body.ts";
import { clientPaths } from "./paths.ts";
import { routeParam } from "./query-params.ts";

/** `PUT /sendToDevice/{eventType}/{txnId}` (spec: "Send-to-Device messaging"). */
export const sendToDeviceRoutes: RouteModule = (app, ctx) => {
  app.on("PUT", clientPaths("/sendToDevice/:eventType/:txnId"), requireAuth(ctx), async (c) => {
    const type = routeParam(c, "eventType");
    const txnId = routeParam(c, "txnId");
    await sendToDevice(ctx, c.get("requester"), type, txnId, await readE2eeBody(c));
    return c.json({});
  });
};
