import type { HearthContext } from "../context.ts";
import type { Db } from "../storage/database.ts";
import { upsertDevice } from "../storage/accounts/devices.ts";
import { insertRefreshToken } from "../storage/accounts/refresh-tokens.ts";
import { deleteDeviceTokens, insertAccessToken } from "../storage/accounts/tokens.ts";
import { hashToken, newAccessToken, newDeviceId, newRefreshToken } from "./tokens.ts";

export interface Session {
  userId: string;
  deviceId: string;
  accessToken: string;
  /** Present when the client asked for refresh tokens. */
  refreshToken?: string;
  /** Lifetime of the access token; absent when it does not expire. */
  expiresInMs?: number;
}

export interface SessionOptions {
  /** Reuse (or create) this device; its earlier tokens are revoked. Absent: a new device id. */
  deviceId?: string;
  /** Display name for a device this call creates; an existing device keeps its name. */
  displayName?: string | null;
  /** The client supports refresh tokens: issue one, with an expiring access token. */
  refreshable?: boolean;
  /** Expiry of a non-refreshable access token (tests of soft logout). */
  expiresInMs?: number;
}

/**
 * Creates (or reuses) a device and issues its tokens inside the caller's transaction: the end of every
 * login and registration. Reusing a device id revokes that device's old tokens, as the spec asks.
 */
export async function createSessionIn(
  tx: Db,
  ctx: HearthContext,
  userId: string,
  opts: SessionOptions = {},
): Promise<Session> {
  const now = ctx.clock();
  const deviceId = opts.deviceId ?? newDeviceId();
  const accessToken = newAccessToken();
  if (opts.deviceId !== undefined) await deleteDeviceTokens(tx, userId, deviceId);
  await upsertDevice(tx, { userId, deviceId, displayName: opts.displayName ?? null, createdTs: now });

  if (opts.refreshable) {
    const refresh = await issueRefreshPair(tx, ctx, userId, deviceId);
    return { userId, deviceId, ...refresh };
  }
  await insertAccessToken(tx, {
    tokenHash: hashToken(accessToken),
    userId,
    deviceId,
    createdTs: now,
    expiresTs: opts.expiresInMs === undefined ? null : now + opts.expiresInMs,
  });
  return {
    userId,
    deviceId,
    accessToken,
    ...(opts.expiresInMs === undefined ? {} : { expiresInMs: opts.expiresInMs }),
  };
}

/** A new refresh token and an expiring access token bound to it (login, registration, /refresh). */
export async function issueRefreshPair(
  tx: Db,
  ctx: HearthContext,
  userId: string,
  deviceId: string,
): Promise<{ accessToken: string; refreshToken: string; expiresInMs: number; refreshTokenId: string }> {
  const now = ctx.clock();
  const { refreshable_access_token_lifetime_ms: lifetime, refresh_token_lifetime_ms: refreshLifetime } =
    ctx.config.auth;
  const refreshToken = newRefreshToken();
  const refreshTokenId = await insertRefreshToken(tx, {
    tokenHash: hashToken(refreshToken),
    userId,
    deviceId,
    createdTs: now,
    expiresTs: refreshLifetime === undefined ? null : now + refreshLifetime,
  });
  const accessToken = newAccessToken();
  await insertAccessToken(tx, {
    tokenHash: hashToken(accessToken),
    userId,
    deviceId,
    createdTs: now,
    expiresTs: now + lifetime,
    refreshTokenId,
  });
  return { accessToken, refreshToken, expiresInMs: lifetime, refreshTokenId };
}

/** createSessionIn in a transaction of its own. */
export async function startSession(
  ctx: HearthContext,
  userId: string,
  opts: SessionOptions = {},
): Promise<Session> {
  const session = await ctx.db.transaction().execute((tx) => createSessionIn(tx, ctx, userId, opts));
  // Reusing a device id revoked its earlier tokens; forget them only now that this has committed.
  if (opts.deviceId !== undefined) ctx.accessTokens.forgetUser(userId);
  // The device id may be one deleted earlier (its keys with it): counts cached for it are stale.
  ctx.sync.deviceKeyCounts.changed(userId, session.deviceId);
  return session;
}
