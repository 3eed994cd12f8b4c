import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { HearthContext } from "../context.ts";
import { hashToken } from "../accounts/tokens.ts";
import { MatrixError } from "../errors.ts";
import { touchDevice } from "../storage/accounts/devices.ts";
import { deletePredecessorsOf } from "../storage/accounts/refresh-tokens.ts";
import { findAccessToken, type TokenOwner } from "../storage/accounts/tokens.ts";
import { resolveClientIp } from "./client-ip.ts";
import type { HearthEnv } from "./types.ts";

export interface Requester {
  userId: string;
  deviceId: string;
  isGuest: boolean;
  isAdmin: boolean;
  /** The token's hash, so logout can delete exactly this token. */
  tokenHash: Buffer;
}

/** The access token from `Authorization: Bearer` or, for older clients, `?access_token=`. */
export function accessTokenOf(c: Context): string | undefined {
  const header = c.req.header("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1];
  }
  return c.req.query("access_token") || undefined;
}

/** Update last_seen at most this often per device, so every request is not a write. */
const LAST_SEEN_INTERVAL_MS = 60_000;

function peerAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // in-process requests (tests) have no socket
  }
}

/** The client's address (see resolveClientIp); null for in-process requests. */
export function clientIp(ctx: HearthContext, c: Context): string | null {
  return resolveClientIp(peerAddress(c), c.req.header("x-forwarded-for"), ctx.config.http.trusted_proxies);
}

/** The token's owner from the instance's cache, or from the database (then cached). */
async function lookUpToken(ctx: HearthContext, tokenHash: Buffer): Promise<TokenOwner | undefined> {
  const cached = ctx.accessTokens.get(tokenHash);
  if (cached) return cached;
  const epoch = ctx.accessTokens.epoch();
  const owner = await findAccessToken(ctx.db, tokenHash);
  if (owner && !owner.deactivated) ctx.accessTokens.put(tokenHash, owner, epoch);
  return owner;
}

/**
 * Resolves the access token to a requester, or throws the spec's 401s: M_MISSING_TOKEN without one,
 * M_UNKNOWN_TOKEN for unknown, deactivated or expired ones (expired: soft_logout, so the client
 * refreshes instead of dropping its session).
 */
export async function authenticate(ctx: HearthContext, c: Context): Promise<Requester> {
  const token = accessTokenOf(c);
  if (!token) throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
  const tokenHash = hashToken(token);
  const owner = await lookUpToken(ctx, tokenHash);
  if (!owner || owner.deactivated) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown access token");
  const now = ctx.clock();
  if (owner.expiresTs !== null && owner.expiresTs <= now) {
    throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Access token has expired", { soft_logout: true });
  }
  if (owner.refreshTokenId !== null && owner.predecessorRefreshTokenId !== null) {
    // First use of a refreshed token: the refresh token it replaced is no longer needed for a retry.
    await deletePredecessorsOf(ctx.db, owner.refreshTokenId);
    // That also revoked the predecessor's access token (cascade), and this cached owner is stale.
    ctx.accessTokens.forgetUser(owner.userId);
  }
  const seenKey = `${owner.userId}|${owner.deviceId}`;
  const lastTouch = ctx.lastSeen.get(seenKey) ?? 0;
  if (now - lastTouch >= LAST_SEEN_INTERVAL_MS) {
    ctx.lastSeen.set(seenKey, now);
    await touchDevice(ctx.db, owner.userId, owner.deviceId, clientIp(ctx, c), now);
  }
  return {
    userId: owner.userId,
    deviceId: owner.deviceId,
    isGuest: owner.isGuest,
    isAdmin: owner.isAdmin,
    tokenHash,
  };
}

/** Middleware for routes that need a logged-in user; handlers read `c.get("requester")`. */
export function requireAuth(ctx: HearthContext): MiddlewareHandler<HearthEnv> {
  return async (c, next) => {
    c.set("requester", await authenticate(ctx, c));
    await next();
  };
}
