import { sql } from "kysely";
import type { RouteModule } from "./types.ts";

/** `/health`: 200 "OK" when the database answers, 503 otherwise (for load balancers and probes). */
export const healthRoutes: RouteModule = (app, ctx) => {
  app.get("/health", async (c) => {
    try {
      await sql`SELECT 1`.execute(ctx.db);
      return c.text("OK");
    } catch {
      return c.json({ errcode: "M_UNKNOWN", error: "database unavailable" }, 503);
    }
  });
};
