/** Past this many users the cache starts over: an entry is only a shortcut. */
const MAX_USERS = 50_000;

/**
 * Each user's joined rooms as the last sync computation found them, at the events position it read.
 * Membership only changes with the events stream, so the rooms at a given position never change: a
 * long-poll whose token is the current position of every stream has nothing to compute, and waits on
 * these rooms instead of reading them again.
 */
export class JoinedRoomsCache {
  private readonly byUser = new Map<string, { at: number; rooms: readonly string[] }>();

  remember(userId: string, at: number, rooms: readonly string[]): void {
    if (this.byUser.size >= MAX_USERS && !this.byUser.has(userId)) this.byUser.clear();
    this.byUser.set(userId, { at, rooms });
  }

  /** The user's joined rooms at events position `at`, if known. */
  at(userId: string, at: number): readonly string[] | undefined {
    const entry = this.byUser.get(userId);
    return entry?.at === at ? entry.rooms : undefined;
  }
}
