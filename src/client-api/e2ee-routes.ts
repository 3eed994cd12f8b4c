import type { RouteModule } from "../http/types.ts";
import { crossSigningRoutes } from "./cross-signing.ts";
import { keysRoutes } from "./keys.ts";
import { roomKeysRoutes } from "./room-keys.ts";
import { sendToDeviceRoutes } from "./send-to-device.ts";

/** End-to-end encryption, server side: keys, cross-signing, key backup and to-device messaging. */
export const e2eeRouteModules: readonly RouteModule[] = [
  keysRoutes,
  crossSigningRoutes,
  roomKeysRoutes,
  sendToDeviceRoutes,
];
