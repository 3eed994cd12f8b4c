import { refreshTokens } from "../accounts/refresh.ts";
import { readJsonObject } from "../http/body.ts";
import { requiredString } from "../http/fields.ts";
import type { RouteModule } from "../http/types.ts";
import { clientPaths } from "./paths.ts";

/** `POST /refresh`: authenticated by the refresh token in the body, not by an access token. */
export const refreshRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/refresh", { r0: false }), async (c) => {
    const body = await readJsonObject(c);
    const tokens = await refreshTokens(ctx, requiredString(body, "refresh_token"));
    return c.json({
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      expires_in_ms: tokens.expiresInMs,
    });
  });
};
