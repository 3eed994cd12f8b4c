import type { TokenOwner } from "../storage/accounts/tokens.ts";

/**
 * How long a cached token stays trusted without asking the database again. Revocations made in this
 * process drop the entry at once (see `forgetUser`); this bound is for revocations made by another
 * process sharing the database (the admin CLI, another server role), which this one cannot see.
 */
export const TOKEN_CACHE_TTL_MS = 2_000;

/** Beyond this many cached tokens the oldest entries are dropped, so memory stays bounded. */
const MAX_ENTRIES = 10_000;

interface Entry {
  owner: TokenOwner;
  cachedAt: number;
}

/**
 * Access token hash → owner, per instance, so an authenticated request costs no database round trip.
 * Every path that ends or changes a token, device or user calls `forgetUser` after its change has
 * committed. A lookup that was already reading the database when such a change happened must not cache
 * what it read (it may be the revoked row): `epoch` counts invalidations, and a lookup caches only when
 * no invalidation happened since it started.
 */
export class AccessTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<string>>();
  private epochValue = 0;

  constructor(private readonly clock: () => number) {}

  /** The invalidation count; take it before reading the database and pass it to `put`. */
  epoch(): number {
    return this.epochValue;
  }

  get(tokenHash: Buffer): TokenOwner | undefined {
    const key = tokenHash.toString("base64");
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.clock() - entry.cachedAt >= TOKEN_CACHE_TTL_MS) {
      this.drop(key, entry.owner.userId);
      return undefined;
    }
    return entry.owner;
  }

  /** Caches what a lookup that began at `epoch` read, unless something was revoked meanwhile. */
  put(tokenHash: Buffer, owner: TokenOwner, epoch: number): void {
    if (epoch !== this.epochValue) return;
    const key = tokenHash.toString("base64");
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(key)) {
      const oldest = this.entries.entries().next().value;
      if (oldest) this.drop(oldest[0], oldest[1].owner.userId);
    }
    this.entries.set(key, { owner, cachedAt: this.clock() });
    let keys = this.byUser.get(owner.userId);
    if (!keys) this.byUser.set(owner.userId, (keys = new Set()));
    keys.add(key);
  }

  /** Forgets every cached token of the user: call after any change to its tokens, devices or flags. */
  forgetUser(userId: string): void {
    this.epochValue++;
    const keys = this.byUser.get(userId);
    if (!keys) return;
    for (const key of keys) this.entries.delete(key);
    this.byUser.delete(userId);
  }

  private drop(key: string, userId: string): void {
    this.entries.delete(key);
    const keys = this.byUser.get(userId);
    keys?.delete(key);
    if (keys?.size === 0) this.byUser.delete(userId);
  }
}
