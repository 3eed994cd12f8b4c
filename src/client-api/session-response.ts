import type { Session } from "../accounts/session.ts";

/** The token fields shared by the login and registration responses. */
export function sessionResponse(session: Session): Record<string, string | number> {
  return {
    user_id: session.userId,
    access_token: session.accessToken,
    device_id: session.deviceId,
    ...(session.refreshToken === undefined ? {} : { refresh_token: session.refreshToken }),
    ...(session.expiresInMs === undefined ? {} : { expires_in_ms: session.expiresInMs }),
  };
}
