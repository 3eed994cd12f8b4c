import type { RouteModule } from "../http/types.ts";
import { accountDataRoutes } from "./account-data.ts";
import { filterRoutes } from "./filters.ts";
import { tagRoutes } from "./tags.ts";

/** /sync and the per-user streams it carries: filters, account data, tags, typing, receipts, presence. */
export const syncRouteModules: readonly RouteModule[] = [filterRoutes, accountDataRoutes, tagRoutes];
