import { describe, expect, it } from "vitest";
import { AccessTokenCache, TOKEN_CACHE_TTL_MS } from "../../src/accounts/token-cache.ts";
import type { TokenOwner } from "../../src/storage/accounts/tokens.ts";

const owner = (userId: string): TokenOwner => ({
  userId,
  deviceId: "DEV",
  expiresTs: null,
  isGuest: false,
  isAdmin: false,
  deactivated: false,
  refreshTokenId: null,
  predecessorRefreshTokenId: null,
});

describe("AccessTokenCache", () => {
  it("does not cache a read that raced with a revocation", () => {
    const cache = new AccessTokenCache(() => 0);
    const hash = Buffer.from("a");
    const epoch = cache.epoch(); // a lookup starts reading the database…
    cache.forgetUser("@someone:x"); // …while a revocation commits
    cache.put(hash, owner("@u:x"), epoch);
    expect(cache.get(hash)).toBeUndefined();
    cache.put(hash, owner("@u:x"), cache.epoch());
    expect(cache.get(hash)?.userId).toBe("@u:x");
  });

  it("forgets only the named user's tokens, and every entry after the TTL", () => {
    let now = 0;
    const cache = new AccessTokenCache(() => now);
    const [a, b] = [Buffer.from("a"), Buffer.from("b")];
    cache.put(a, owner("@a:x"), cache.epoch());
    cache.put(b, owner("@b:x"), cache.epoch());
    cache.forgetUser("@a:x");
    expect(cache.get(a)).toBeUndefined();
    expect(cache.get(b)?.userId).toBe("@b:x");
    now += TOKEN_CACHE_TTL_MS;
    expect(cache.get(b)).toBeUndefined();
  });
});
