import type { RouteModule } from "../http/types.ts";
import { HEARTH_VERSION } from "../version.ts";

export const federationVersionRoutes: RouteModule = (app) => {
  app.get("/_matrix/federation/v1/version", (c) =>
    c.json({ server: { name: "Hearth", version: HEARTH_VERSION } }),
  );
};
