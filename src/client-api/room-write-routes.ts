import type { RouteModule } from "../http/types.ts";
import { createRoomRoutes } from "./rooms-create.ts";
import { roomMembersRoutes } from "./rooms-members.ts";
import { roomMembershipRoutes } from "./rooms-membership.ts";
import { roomSendRoutes } from "./rooms-send.ts";
import { roomStateRoutes } from "./rooms-state.ts";

/** Client endpoints that write to rooms (every write goes through rooms/), with their state reads. */
export const roomWriteRouteModules: readonly RouteModule[] = [
  createRoomRoutes,
  roomSendRoutes,
  roomStateRoutes,
  roomMembershipRoutes,
  roomMembersRoutes,
];
