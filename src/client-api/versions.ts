import type { RouteModule } from "../http/types.ts";

/**
 * Spec versions this server implements. matrix-js-sdk needs v1.5 or later listed; v1.11+ switches
 * clients to authenticated media, so it is only listed once that is served.
 */
export const SUPPORTED_SPEC_VERSIONS = [
  "r0.0.1",
  "r0.1.0",
  "r0.2.0",
  "r0.3.0",
  "r0.4.0",
  "r0.5.0",
  "r0.6.0",
  "r0.6.1",
  "v1.1",
  "v1.2",
  "v1.3",
  "v1.4",
  "v1.5",
  "v1.6",
  "v1.7",
  "v1.8",
  "v1.9",
  "v1.10",
  "v1.11",
] as const;

export const versionsRoutes: RouteModule = (app) => {
  app.get("/_matrix/client/versions", (c) =>
    c.json({ versions: SUPPORTED_SPEC_VERSIONS, unstable_features: {} }),
  );
};
