import type { HearthContext } from "../context.ts";
import { MatrixError } from "../errors.ts";
import {
  deletePredecessorsOf,
  deleteRefreshTokens,
  findRefreshTokenForUpdate,
  setNextRefreshToken,
} from "../storage/accounts/refresh-tokens.ts";
import { issueRefreshPair } from "./session.ts";
import { hashToken } from "./tokens.ts";

export interface RefreshedTokens {
  accessToken: string;
  refreshToken: string;
  expiresInMs: number;
}

/**
 * Trades a refresh token for a new access + refresh token pair on the same device. The used token is
 * not revoked yet: it stays valid until the new pair is first used (see `revokeSupersededRefreshTokens`)
 * so a client that lost the response can retry. A retry replaces the pair it lost.
 */
export async function refreshTokens(ctx: HearthContext, refreshToken: string): Promise<RefreshedTokens> {
  const { tokens, userId } = await ctx.db.transaction().execute(async (tx) => {
    const row = await findRefreshTokenForUpdate(tx, hashToken(refreshToken));
    if (!row) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown refresh token");
    if (row.expiresTs !== null && row.expiresTs <= ctx.clock()) {
      // soft_logout: the device and its keys are still good, the user only has to log in again.
      throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Refresh token has expired", { soft_logout: true });
    }
    // Using this token proves its predecessor is no longer needed for a retry.
    await deletePredecessorsOf(tx, row.id);
    if (row.nextTokenId !== null) await deleteRefreshTokens(tx, [row.nextTokenId]);
    const pair = await issueRefreshPair(tx, ctx, row.userId, row.deviceId);
    await setNextRefreshToken(tx, row.id, pair.refreshTokenId);
    const tokens = {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresInMs: pair.expiresInMs,
    };
    return { tokens, userId: row.userId };
  });
  // Deleting the predecessor and the superseded refresh tokens revoked their access tokens (cascade).
  ctx.accessTokens.forgetUser(userId);
  return tokens;
}
