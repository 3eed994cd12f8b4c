/** Rooms beyond this many are forgotten, least recently written first. */
const MAX_ROOMS = 5_000;

interface Entry {
  /** The room's forward extremities right after the write that filled the entry. */
  readonly extremities: readonly string[];
  /** Other servers with a joined member then. */
  readonly servers: readonly string[];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

/**
 * Which other servers each room reaches, as the last local write found it. An entry holds only while
 * the next local event is built on exactly the extremities that write left: any event in between
 * (received over federation, or written by another process) moves them, so a stale entry is never
 * used, and a room with no remote members costs no query per event.
 */
export class RoomServersCache {
  private readonly rooms = new Map<string, Entry>();

  /** The cached servers when `builtOn` (the extremities the new event cites) is what the entry saw. */
  get(roomId: string, builtOn: readonly string[]): readonly string[] | undefined {
    const entry = this.rooms.get(roomId);
    return entry && sameSet(entry.extremities, builtOn) ? entry.servers : undefined;
  }

  set(roomId: string, extremities: readonly string[] | undefined, servers: readonly string[]): void {
    this.rooms.delete(roomId);
    if (extremities === undefined) return;
    this.rooms.set(roomId, { extremities, servers });
    if (this.rooms.size > MAX_ROOMS) {
      const oldest = this.rooms.keys().next().value;
      if (oldest !== undefined) this.rooms.delete(oldest);
    }
  }

  get size(): number {
    return this.rooms.size;
  }
}
