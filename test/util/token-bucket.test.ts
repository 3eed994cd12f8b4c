import { describe, expect, it } from "vitest";
import { TokenBucketLimiter } from "../../src/util/token-bucket.ts";

describe("TokenBucketLimiter", () => {
  it("allows a burst, then refuses with the time until the next token", () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ per_second: 0.5, burst: 2 }, () => now);
    expect(limiter.take("a")).toEqual({ ok: true });
    expect(limiter.take("a")).toEqual({ ok: true });
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 2000 });
    now += 1500;
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 500 });
    now += 500;
    expect(limiter.take("a")).toEqual({ ok: true });
  });

  it("keeps keys apart", () => {
    const limiter = new TokenBucketLimiter({ per_second: 1, burst: 1 }, () => 0);
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
    expect(limiter.take("b").ok).toBe(true);
  });

  it("peek spends nothing", () => {
    const limiter = new TokenBucketLimiter({ per_second: 1, burst: 1 }, () => 0);
    expect(limiter.peek("a").ok).toBe(true);
    expect(limiter.peek("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.peek("a")).toEqual({ ok: false, retryAfterMs: 1000 });
  });

  it("never refills above the burst, and a clock going backwards drains nothing", () => {
    let now = 1_000_000;
    const limiter = new TokenBucketLimiter({ per_second: 10, burst: 2 }, () => now);
    limiter.take("a");
    now += 3_600_000;
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
    now -= 10_000;
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 100 });
  });

  it("forgets full buckets once many keys are tracked", () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ per_second: 1, burst: 1 }, () => now);
    for (let i = 0; i < 10_000; i++) limiter.take(`k${i}`);
    now += 1000;
    limiter.take("new");
    // k0 was pruned as full: it starts again with a full bucket.
    expect(limiter.take("k0").ok).toBe(true);
  });
});
