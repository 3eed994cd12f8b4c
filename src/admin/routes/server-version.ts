import type { RouteModule } from "../../http/types.ts";
import { HEARTH_VERSION } from "../../version.ts";
import { adminV1, requireAdmin } from "./common.ts";

/**
 * GET /_synapse/admin/v1/server_version. Synapse answers it without a token; here, like every admin
 * route but shared-secret registration, it is for admins only.
 */
export const serverVersionRoutes: RouteModule = (app, ctx) => {
  app.get(adminV1("/server_version"), requireAdmin(ctx), (c) =>
    c.json({ server_version: `Hearth ${HEARTH_VERSION}` }),
  );
};
