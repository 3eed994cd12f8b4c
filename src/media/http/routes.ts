import type { RouteModule } from "../../http/types.ts";
import { authedConfigRoutes, legacyConfigRoutes } from "./config.ts";
import { authedDownloadRoutes, legacyDownloadRoutes } from "./download.ts";
import { authedThumbnailRoutes, legacyThumbnailRoutes } from "./thumbnail.ts";
import { fetchRemoteMedia } from "../remote.ts";
import { federationMediaRoutes } from "./federation.ts";
import { authedPreviewRoutes, legacyPreviewRoutes } from "./preview.ts";
import { uploadRoutes } from "./upload.ts";

/** /_matrix/media/… (the `media` resource): uploads and the deprecated unauthenticated reads. */
export const mediaRouteModules: readonly RouteModule[] = [
  uploadRoutes,
  legacyConfigRoutes,
  legacyDownloadRoutes(fetchRemoteMedia),
  legacyThumbnailRoutes(fetchRemoteMedia),
  legacyPreviewRoutes,
];

/** /_matrix/client/v1/media/… (the `client` resource): authenticated media, spec v1.11. */
export const clientMediaRouteModules: readonly RouteModule[] = [
  authedConfigRoutes,
  authedDownloadRoutes(fetchRemoteMedia),
  authedThumbnailRoutes(fetchRemoteMedia),
  authedPreviewRoutes,
];

/** /_matrix/federation/v1/media/… (the `federation` resource): our media for other servers. */
export const federationMediaRouteModules: readonly RouteModule[] = [federationMediaRoutes];
