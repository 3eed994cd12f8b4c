import type { Db } from "../storage/database.ts";
import {
  insertEventRun,
  type InsertedEvent,
  type InsertGuard,
  type NewEventRow,
} from "../storage/rooms/event-writes.ts";

/**
 * Event rows of one room write held back to be inserted together, in one statement, with their
 * forward extremity changes taken as a whole. Only events that nothing stored (nor any event before
 * them in the write) cites or redacts may be held, since their insert then has nothing to report; and
 * the writer flushes before anything that could read what they would change.
 */
export class HeldEventInserts {
  private rows: NewEventRow[] = [];
  private readonly removed = new Set<string>();
  private readonly added = new Set<string>();

  constructor(private readonly roomId: string) {}

  /** Holds the row and answers as its insert would: no stored event cites or redacts it. */
  hold(row: NewEventRow): InsertedEvent {
    this.rows.push(row);
    const x = row.extremities;
    if (x) {
      // An extremity added by a held row never reached the table: citing it just takes it back.
      for (const id of x.cited) if (!this.added.delete(id)) this.removed.add(id);
      if (x.added !== undefined) this.added.add(x.added);
    }
    return { cited: false, redactions: [] };
  }

  /** Inserts what is held; with a `guard` (see insertEventRun), false when it failed and nothing was written. */
  async flush(tx: Db, guard?: InsertGuard): Promise<boolean> {
    if (this.rows.length === 0) return true;
    const written = await insertEventRun(
      tx,
      this.roomId,
      this.rows,
      { removed: [...this.removed], added: [...this.added] },
      guard,
    );
    this.rows = [];
    this.removed.clear();
    this.added.clear();
    return written;
  }

  /** How many rows are held. */
  get size(): number {
    return this.rows.length;
  }
}
