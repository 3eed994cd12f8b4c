import type { RouteModule } from "../http/types.ts";
import { eventRoutes } from "./event-routes.ts";
import { membershipRoutes } from "./membership-routes.ts";
import { publicRoomsRoutes } from "./public-rooms-routes.ts";
import { queryRoutes } from "./query-routes.ts";
import { userKeysRoutes } from "./user-keys-routes.ts";
import { sendRoutes } from "./send-routes.ts";

/** The federation endpoints other servers call to exchange room events with this one. */
export const federationInboundRouteModules: readonly RouteModule[] = [
  sendRoutes,
  eventRoutes,
  membershipRoutes,
  queryRoutes,
  publicRoomsRoutes,
  userKeysRoutes,
];
