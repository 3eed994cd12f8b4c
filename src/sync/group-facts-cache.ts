import type { GroupFacts, GroupFactsCache } from "../rooms/visibility.ts";

/**
 * Bounded per-instance memory of what a state group says about one user's history visibility (see
 * GroupFactsCache: entries never go stale). Consecutive messages in a room share a state group, so
 * after the first sync that shows a room's messages to a user, the next ones check visibility without
 * a query. Oldest entries go first when full.
 */
export class BoundedGroupFactsCache implements GroupFactsCache {
  private readonly entries = new Map<string, GroupFacts>();

  constructor(private readonly capacity = 20_000) {}

  get(group: number, userId: string): GroupFacts | undefined {
    return this.entries.get(`${group}|${userId}`);
  }

  set(group: number, userId: string, facts: GroupFacts): void {
    const key = `${group}|${userId}`;
    if (!this.entries.has(key) && this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, facts);
  }

  get size(): number {
    return this.entries.size;
  }
}
