import type { RouteModule } from "../../http/types.ts";
import { authedConfigRoutes, legacyConfigRoutes } from "./config.ts";
import { authedDownloadRoutes, legacyDownloadRoutes } from "./download.ts";
import { authedThumbnailRoutes, legacyThumbnailRoutes } from "./thumbnail.ts";
import { uploadRoutes } from "./upload.ts";

/** /_matrix/media/… (the `media` resource): uploads and the deprecated unauthenticated reads. */
export const mediaRouteModules: readonly RouteModule[] = [
  uploadRoutes,
  legacyConfigRoutes,
  legacyDownloadRoutes(),
  legacyThumbnailRoutes(),
];

/** /_matrix/client/v1/media/… (the `client` resource): authenticated media, spec v1.11. */
export const clientMediaRouteModules: readonly RouteModule[] = [
  authedConfigRoutes,
  authedDownloadRoutes(),
  authedThumbnailRoutes(),
];
