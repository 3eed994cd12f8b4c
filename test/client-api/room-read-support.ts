import type { Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { bearer } from "../support/users.ts";

export interface JsonResponse {
  status: number;
  // Test assertions walk arbitrary response shapes; typing each one would add nothing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A client-API request as `session` (or anonymous), answered in-process. */
export async function call(
  hs: Homeserver,
  method: string,
  path: string,
  session?: Session,
  body?: unknown,
): Promise<JsonResponse> {
  const headers: Record<string, string> = session ? bearer(session) : {};
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const prefix = path.startsWith("/_matrix") ? "" : "/_matrix/client/v3";
  const res = await hs.app().request(`${prefix}${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text: some tests look at non-JSON answers
  }
  return { status: res.status, body: parsed };
}

export const enc = encodeURIComponent;
