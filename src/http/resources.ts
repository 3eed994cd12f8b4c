import { adminRouteModules } from "../admin/routes/index.ts";
import { accountRouteModules } from "../client-api/account-routes.ts";
import { e2eeRouteModules } from "../client-api/e2ee-routes.ts";
import { roomReadRouteModules } from "../client-api/room-read-routes.ts";
import { roomWriteRouteModules } from "../client-api/room-write-routes.ts";
import { syncRouteModules } from "../client-api/sync-routes.ts";
import { versionsRoutes } from "../client-api/versions.ts";
import { whoamiRoutes } from "../client-api/whoami.ts";
import { keyQueryRoutes } from "../federation/key-query.ts";
import {
  clientMediaRouteModules,
  federationMediaRouteModules,
  mediaRouteModules,
} from "../media/http/routes.ts";
import { keyServerRoutes } from "../federation/key-server.ts";
import { federationVersionRoutes } from "../federation/version.ts";
import { federationInboundRouteModules } from "../federation/inbound-routes.ts";
import { healthRoutes } from "./health.ts";
import { metricsRoutes } from "./metrics-route.ts";
import type { Resource, RouteModule } from "./types.ts";
import { wellKnownClientRoutes, wellKnownServerRoutes } from "./well-known.ts";

/** Which spec areas each listener resource serves. */
const ROUTES_BY_RESOURCE: Record<Resource, readonly RouteModule[]> = {
  client: [
    wellKnownClientRoutes,
    versionsRoutes,
    whoamiRoutes,
    ...accountRouteModules,
    ...syncRouteModules,
    ...roomWriteRouteModules,
    ...roomReadRouteModules,
    ...e2eeRouteModules,
    ...clientMediaRouteModules,
  ],
  federation: [
    wellKnownServerRoutes,
    federationVersionRoutes,
    keyServerRoutes,
    keyQueryRoutes,
    ...federationMediaRouteModules,
    ...federationInboundRouteModules,
  ],
  media: [...mediaRouteModules],
  admin: [...adminRouteModules],
  metrics: [metricsRoutes],
};

export function routeModulesFor(resources: readonly Resource[]): RouteModule[] {
  return [healthRoutes, ...new Set(resources.flatMap((r) => ROUTES_BY_RESOURCE[r]))];
}
