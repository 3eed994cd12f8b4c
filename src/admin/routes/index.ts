import type { RouteModule } from "../../http/types.ts";
import { adminMediaRoutes } from "./media.ts";
import { sharedSecretRegisterRoutes } from "./register.ts";
import { registrationTokenRoutes } from "./registration-tokens.ts";
import { adminRoomRoutes } from "./rooms.ts";
import { serverVersionRoutes } from "./server-version.ts";
import { adminUserRoutes } from "./users.ts";

/** The Synapse-compatible admin API (/_synapse/admin/…), served by listeners with the `admin` resource. */
export const adminRouteModules: readonly RouteModule[] = [
  serverVersionRoutes,
  sharedSecretRegisterRoutes,
  adminUserRoutes,
  adminRoomRoutes,
  registrationTokenRoutes,
  adminMediaRoutes,
];
