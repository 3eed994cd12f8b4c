import type { Session } from "../../src/accounts/session.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { startTestHomeserver } from "../support/homeserver.ts";
import { bearer } from "../support/users.ts";

/** A server for the room endpoint tests: message rate limits out of the way. */
export function startRoomsHomeserver(overrides: Record<string, unknown> = {}): Promise<TestHomeserver> {
  return startTestHomeserver({
    rate_limits: { messages: { per_second: 10_000, burst: 10_000 } },
    ...overrides,
  });
}

export interface ApiResponse {
  status: number;
  // Response bodies are arbitrary JSON; tests assert on their shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One client request; `body` is sent as JSON unless it is already a string. */
export async function api(
  hs: TestHomeserver,
  session: Session | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const headers: Record<string, string> = session ? bearer(session) : {};
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await hs.app().request(path.startsWith("/_matrix") ? path : `/_matrix/client/v3${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: res.status, body: parsed };
}

export const enc = encodeURIComponent;

/** POST /createRoom, expecting success. */
export async function createRoomApi(
  hs: TestHomeserver,
  session: Session,
  body: unknown = {},
): Promise<string> {
  const res = await api(hs, session, "POST", "/createRoom", body);
  if (res.status !== 200) throw new Error(`createRoom failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id as string;
}
