export interface BackoffPolicy {
  /** Delay after the first failure. */
  initialMs: number;
  /** Ceiling of the doubling. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 5_000, maxMs: 24 * 60 * 60_000 };

/**
 * Delay before the next attempt after `failures` consecutive failures: doubling from `initialMs`,
 * capped at `maxMs`, with ±25% jitter (`random` in [0, 1)) so that servers recovering together are
 * not all retried in the same instant.
 */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  const base = Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
  return Math.round(Math.min(base * (0.75 + random * 0.5), policy.maxMs));
}

/**
 * A 429's wait: the `Retry-After` header (seconds or an HTTP date) or the Matrix `retry_after_ms`
 * body field; undefined when neither says.
 */
export function retryAfterMs(headers: Headers, body: unknown, now: number): number | undefined {
  const header = headers.get("retry-after");
  if (header !== null) {
    const seconds = Number(header.trim());
    if (header.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  if (typeof body === "object" && body !== null && "retry_after_ms" in body) {
    const ms = (body as { retry_after_ms: unknown }).retry_after_ms;
    if (typeof ms === "number" && Number.isFinite(ms) && ms >= 0) return ms;
  }
  return undefined;
}
