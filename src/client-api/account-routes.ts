import type { RouteModule } from "../http/types.ts";
import { accountDeactivateRoutes } from "./account-deactivate.ts";
import { accountPasswordRoutes } from "./account-password.ts";
import { capabilitiesRoutes } from "./capabilities.ts";
import { deviceRoutes } from "./devices.ts";
import { loginRoutes } from "./login.ts";
import { logoutRoutes } from "./logout.ts";
import { pushRulesRoutes } from "./pushrules.ts";
import { refreshRoutes } from "./refresh.ts";
import { registerRoutes } from "./register.ts";
import { thirdPartyRoutes } from "./thirdparty.ts";
import { threepidRoutes } from "./threepids.ts";
import { voipRoutes } from "./voip.ts";

/** The client API's account areas: registration, login, tokens, devices, account settings. */
export const accountRouteModules: readonly RouteModule[] = [
  registerRoutes,
  loginRoutes,
  refreshRoutes,
  logoutRoutes,
  accountPasswordRoutes,
  accountDeactivateRoutes,
  threepidRoutes,
  deviceRoutes,
  capabilitiesRoutes,
  pushRulesRoutes,
  thirdPartyRoutes,
  voipRoutes,
];
