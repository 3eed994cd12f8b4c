import type { RouteModule } from "../http/types.ts";
import { accountDataRoutes } from "./account-data.ts";
import { filterRoutes } from "./filters.ts";
import { presenceRoutes } from "./presence.ts";
import { receiptRoutes } from "./receipts.ts";
import { syncRoutes } from "./sync.ts";
import { tagRoutes } from "./tags.ts";
import { typingRoutes } from "./typing.ts";

/** /sync and the per-user streams it carries: filters, account data, tags, typing, receipts, presence. */
export const syncRouteModules: readonly RouteModule[] = [
  syncRoutes,
  filterRoutes,
  accountDataRoutes,
  tagRoutes,
  typingRoutes,
  receiptRoutes,
  presenceRoutes,
];
