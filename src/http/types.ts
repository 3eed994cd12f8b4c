import type { Hono } from "hono";
import type { HearthContext } from "../context.ts";
import type { Requester } from "./auth.ts";

export interface HttpVariables {
  requestId: string;
  /** Set by requireAuth on authenticated routes. */
  requester: Requester;
}

export type HearthEnv = { Variables: HttpVariables };
export type HearthApp = Hono<HearthEnv>;

/** What each spec area exports: it adds its routes to the app of a listener that serves its resource. */
export type RouteModule = (app: HearthApp, ctx: HearthContext) => void;

export type Resource = "client" | "federation" | "media" | "admin" | "metrics";
