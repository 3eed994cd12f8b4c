import type { HearthConfig } from "../config/schema.ts";
import { limitExceeded } from "../errors.ts";
import { TokenBucketLimiter, type TakeResult } from "../util/token-bucket.ts";

/** The limiters of the account endpoints, one set per instance (kept on the context). */
export interface AccountRateLimiters {
  /** Login attempts (and password stages of user-interactive auth), per IP and per account. */
  readonly login: TokenBucketLimiter;
  /** Completed registrations per IP. */
  readonly registration: TokenBucketLimiter;
  /** Unauthenticated look-ups that could be used to enumerate (username available, token validity). */
  readonly lookups: TokenBucketLimiter;
}

export function createAccountRateLimiters(config: HearthConfig, clock: () => number): AccountRateLimiters {
  return {
    login: new TokenBucketLimiter(config.rate_limits.login, clock),
    registration: new TokenBucketLimiter(config.rate_limits.registration, clock),
    // Probing is cheap and legitimate clients call these while a user types, so allow more than logins.
    lookups: new TokenBucketLimiter(
      { per_second: config.rate_limits.login.per_second * 10, burst: config.rate_limits.login.burst * 10 },
      clock,
    ),
  };
}

export const ipKey = (ip: string | null): string => `ip:${ip ?? "local"}`;
export const accountKey = (userId: string): string => `user:${userId}`;

/** Throws 429 M_LIMIT_EXCEEDED when a limiter said no. */
export function enforce(result: TakeResult): void {
  if (!result.ok) throw limitExceeded(result.retryAfterMs);
}
