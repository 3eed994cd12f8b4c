import type { RouteModule } from "../http/types.ts";
import { directoryRoutes } from "./directory.ts";
import { profileRoutes } from "./profile.ts";
import { relationsRoutes } from "./relations.ts";
import { roomEventsRoutes } from "./room-events.ts";
import { userDirectoryRoutes } from "./user-directory.ts";

/** Reading rooms (events, pages, context, relations), the room and user directories, and profiles. */
export const roomReadRouteModules: readonly RouteModule[] = [
  roomEventsRoutes,
  relationsRoutes,
  directoryRoutes,
  profileRoutes,
  userDirectoryRoutes,
];
