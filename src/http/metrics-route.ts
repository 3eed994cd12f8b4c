import type { RouteModule } from "./types.ts";

export const metricsRoutes: RouteModule = (app, ctx) => {
  app.get("/metrics", async (c) => {
    const body = await ctx.metrics.registry.metrics();
    return c.body(body, 200, { "Content-Type": ctx.metrics.registry.contentType });
  });
};
