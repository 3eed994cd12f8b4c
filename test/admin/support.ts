import type { Session } from "../../src/accounts/session.ts";
import { call, type JsonResponse } from "../client-api/accounts-support.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";

export { call, expectError } from "../client-api/accounts-support.ts";

export const v1 = (path: string): string => `/_synapse/admin/v1${path}`;
export const v2 = (path: string): string => `/_synapse/admin/v2${path}`;

/** An admin and a plain user, both logged in. */
export async function adminAndUser(hs: TestHomeserver): Promise<{ admin: Session; user: Session }> {
  const admin = await createTestUser(hs, "boss", { isAdmin: true, password: "boss-password" });
  const user = await createTestUser(hs, "alice", { password: "alice-password" });
  return { admin, user };
}

/** An admin API request with a session's token. */
export function adminCall(
  hs: TestHomeserver,
  session: Session,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonResponse> {
  return call(hs, method, path, { token: session.accessToken, body });
}
