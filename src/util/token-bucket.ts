/** Refill rate and size of one kind of bucket (the `rate_limits.*` config entries). */
export interface BucketRate {
  per_second: number;
  burst: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Past this many keys, full buckets are dropped: a full bucket is the same as no bucket. */
const PRUNE_AT = 10_000;

/**
 * Token buckets keyed by caller (an IP, a user id…), in memory and per instance: each process limits on
 * its own, which is enough to blunt password guessing and sign-up floods without shared state.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rate: BucketRate,
    private readonly clock: () => number,
  ) {}

  /** Spends one token for `key`, or says how long until one is back. */
  take(key: string): TakeResult {
    const bucket = this.refilled(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: this.msUntilToken(bucket) };
  }

  /** Like take, but spends nothing: for requests that only count once they succeed. */
  peek(key: string): TakeResult {
    const bucket = this.refilled(key);
    return bucket.tokens >= 1 ? { ok: true } : { ok: false, retryAfterMs: this.msUntilToken(bucket) };
  }

  private msUntilToken(bucket: Bucket): number {
    return Math.max(1, Math.ceil(((1 - bucket.tokens) / this.rate.per_second) * 1000));
  }

  private refilled(key: string): Bucket {
    const now = this.clock();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= PRUNE_AT) this.prune(now);
      bucket = { tokens: this.rate.burst, updatedMs: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    // A clock that moves backwards (tests, NTP steps) must not drain the bucket.
    const elapsedMs = Math.max(0, now - bucket.updatedMs);
    bucket.tokens = Math.min(this.rate.burst, bucket.tokens + (elapsedMs / 1000) * this.rate.per_second);
    bucket.updatedMs = now;
    return bucket;
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      const tokens = b.tokens + ((now - b.updatedMs) / 1000) * this.rate.per_second;
      if (tokens >= this.rate.burst) this.buckets.delete(key);
    }
  }
}
