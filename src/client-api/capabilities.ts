import { ROOM_VERSIONS } from "../core/room-versions.ts";
import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { findUser } from "../storage/accounts/users.ts";
import { clientPaths } from "./paths.ts";

/**
 * `GET /capabilities` (spec: "Capabilities negotiation"). Password changes and login tokens both need
 * the password stage of user-interactive auth, so they are offered only to accounts with a password.
 */
export const capabilitiesRoutes: RouteModule = (app, ctx) => {
  app.on("GET", clientPaths("/capabilities"), requireAuth(ctx), async (c) => {
    const user = await findUser(ctx.db, c.get("requester").userId);
    const hasPassword = user?.passwordHash != null;
    const available = Object.fromEntries([...ROOM_VERSIONS.values()].map((v) => [v.id, v.stability]));
    return c.json({
      capabilities: {
        "m.room_versions": { default: ctx.config.room_versions.default, available },
        "m.change_password": { enabled: hasPassword },
        "m.set_displayname": { enabled: true },
        "m.set_avatar_url": { enabled: true },
        "m.profile_fields": { enabled: true },
        "m.3pid_changes": { enabled: false },
        "m.get_login_token": { enabled: hasPassword },
      },
    });
  });
};
