/**
 * Hands out positions on one stream and says how far every position has been persisted.
 *
 * A writer takes a position before its transaction and reports it done after commit or rollback.
 * Writers to different rooms commit in any order, so a reader must never look past the lowest
 * position still in flight: `persistedUpTo` is the highest position at or below which nothing is
 * pending. (Synapse lost events for years by letting readers see position 7 committed while 6 was
 * still in flight.) Positions are allocated in-process: one process writes each stream.
 */
export class StreamTracker {
  private last: number;
  private readonly inFlight = new Set<number>();
  private persisted: number;

  constructor(currentMax: number) {
    this.last = currentMax;
    this.persisted = currentMax;
  }

  /** The next position; the caller must call `complete` with it whether its transaction commits or not. */
  allocate(): number {
    this.last += 1;
    this.inFlight.add(this.last);
    return this.last;
  }

  /** Marks a position finished; returns true when `persistedUpTo` moved forward. */
  complete(position: number): boolean {
    if (!this.inFlight.delete(position)) return false;
    let lowestPending = Infinity;
    for (const p of this.inFlight) if (p < lowestPending) lowestPending = p;
    const next = lowestPending === Infinity ? this.last : lowestPending - 1;
    if (next <= this.persisted) return false;
    this.persisted = next;
    return true;
  }

  /** Every position ≤ this has committed (or was abandoned and will never appear). */
  get persistedUpTo(): number {
    return this.persisted;
  }

  /** The last position handed out, committed or not. */
  get lastAllocated(): number {
    return this.last;
  }
}
