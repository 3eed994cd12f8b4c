import type { Session } from "../../src/accounts/session.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { bearer } from "../support/users.ts";

/** A JSON request as `session` against the client API; returns status and parsed body. */
export async function call(
  hs: TestHomeserver,
  session: Session | undefined,
  method: string,
  path: string,
  body?: unknown,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await hs.app().request(`/_matrix/client/v3${path}`, {
    method,
    headers: { ...(session ? bearer(session) : {}), "content-type": "application/json" },
    body:
      body === undefined || method === "GET"
        ? undefined
        : typeof body === "string"
          ? body
          : JSON.stringify(body),
    ...init,
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export const enc = encodeURIComponent;
