import type { Hono } from "hono";
import type { HearthContext } from "../context.ts";
import type { JsonValue } from "../core/json.ts";
import type { Requester } from "./auth.ts";

export interface HttpVariables {
  requestId: string;
  /** Set by requireAuth on authenticated routes. */
  requester: Requester;
  /** Set by requireServerAuth on federation routes: the server that signed the request. */
  origin: string;
  /** Set by requireServerAuth: the body parsed losslessly from the verified bytes (undefined if none). */
  federationContent: JsonValue | undefined;
  /** The body, read by bufferedBody on a Node listener (see requestBytes). */
  body: Uint8Array | undefined;
}

export type HearthEnv = { Variables: HttpVariables };
export type HearthApp = Hono<HearthEnv>;

/** What each spec area exports: it adds its routes to the app of a listener that serves its resource. */
export type RouteModule = (app: HearthApp, ctx: HearthContext) => void;

export type Resource = "client" | "federation" | "media" | "admin" | "metrics";
