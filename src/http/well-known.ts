import type { HearthContext } from "../context.ts";
import type { RouteModule } from "./types.ts";

function clientBaseUrl(ctx: HearthContext): string {
  return ctx.config.well_known.client_base_url ?? ctx.config.public_baseurl;
}

/** `/.well-known/matrix/client`: where clients find the client API for this server name. */
export const wellKnownClientRoutes: RouteModule = (app, ctx) => {
  app.get("/.well-known/matrix/client", (c) => c.json({ "m.homeserver": { base_url: clientBaseUrl(ctx) } }));
};

/** `/.well-known/matrix/server`: federation delegation; 404 when not configured, as the spec allows. */
export const wellKnownServerRoutes: RouteModule = (app, ctx) => {
  app.get("/.well-known/matrix/server", (c) => {
    const server = ctx.config.well_known.server;
    if (!server) return c.json({ errcode: "M_NOT_FOUND", error: "No server delegation configured" }, 404);
    return c.json({ "m.server": server });
  });
};
