import type { HearthContext } from "../context.ts";
import { upsertDevice } from "../storage/accounts/devices.ts";
import { insertAccessToken } from "../storage/accounts/tokens.ts";
import { hashToken, newAccessToken, newDeviceId } from "./tokens.ts";

export interface Session {
  userId: string;
  deviceId: string;
  accessToken: string;
}

/** Creates (or reuses) a device and issues an access token for it: the end of every login. */
export async function startSession(
  ctx: HearthContext,
  userId: string,
  opts: { deviceId?: string; displayName?: string | null; expiresInMs?: number } = {},
): Promise<Session> {
  const now = ctx.clock();
  const deviceId = opts.deviceId ?? newDeviceId();
  const accessToken = newAccessToken();
  await ctx.db.transaction().execute(async (tx) => {
    await upsertDevice(tx, { userId, deviceId, displayName: opts.displayName ?? null, createdTs: now });
    await insertAccessToken(tx, {
      tokenHash: hashToken(accessToken),
      userId,
      deviceId,
      createdTs: now,
      expiresTs: opts.expiresInMs === undefined ? null : now + opts.expiresInMs,
    });
  });
  return { userId, deviceId, accessToken };
}
