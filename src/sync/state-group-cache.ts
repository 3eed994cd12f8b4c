import type { StateTupleKey } from "../core/state-key.ts";

/**
 * Full states of state groups, kept across syncs: a group never changes once written, so an entry
 * never goes stale. A group loaded once lets the groups built on it (each join to a big room makes
 * one) load only their own deltas. Bounded by the entries held in all, least recently used out first.
 */
export class StateGroupCache {
  private readonly groups = new Map<number, ReadonlyMap<StateTupleKey, string>>();
  private entries = 0;

  constructor(private readonly maxEntries = 50_000) {}

  get(groupId: number): ReadonlyMap<StateTupleKey, string> | undefined {
    const state = this.groups.get(groupId);
    if (state) {
      this.groups.delete(groupId);
      this.groups.set(groupId, state);
    }
    return state;
  }

  set(groupId: number, state: ReadonlyMap<StateTupleKey, string>): void {
    // A state bigger than the whole budget would only evict everything else.
    if (state.size > this.maxEntries || this.groups.has(groupId)) return;
    this.groups.set(groupId, state);
    this.entries += state.size;
    for (const [id, old] of this.groups) {
      if (this.entries <= this.maxEntries) break;
      this.groups.delete(id);
      this.entries -= old.size;
    }
  }

  /** The cached groups, for a load to stop at. */
  known(): ReadonlyMap<number, ReadonlyMap<StateTupleKey, string>> {
    return this.groups;
  }

  get size(): number {
    return this.groups.size;
  }
}
