import type { Db } from "../storage/database.ts";
import {
  canShareStatement,
  insertEvent,
  insertGuardedEvents,
  type InsertedEvent,
  type InsertGuard,
  type NewEventRow,
} from "../storage/rooms/event-writes.ts";
import { Coalescer } from "../util/coalescer.ts";

type Item = { ev: NewEventRow; guard: InsertGuard };
type Answer = { inserted: InsertedEvent | undefined } | { error: unknown };

/** Most events in one shared statement. */
const MAX_SHARED = 16;

/**
 * Guarded single-statement inserts (plain messages on cached rooms, each holding its room's
 * in-process lock) made in the same turn of the event loop go to the database together: one
 * statement and one commit for the messages of several rooms (insertGuardedEvents). Should the
 * shared statement fail, each insert runs alone, so one bad row fails only its own write.
 */
export class GuardedInserts {
  private readonly shared: Coalescer<Item, Answer>;

  constructor(private readonly db: Db) {
    this.shared = new Coalescer((items) => this.run(items), MAX_SHARED);
  }

  async insert(ev: NewEventRow, guard: InsertGuard): Promise<InsertedEvent | undefined> {
    if (!canShareStatement(ev, guard)) return insertEvent(this.db, ev, guard);
    const answer = await this.shared.load({ ev, guard });
    if ("error" in answer) throw answer.error;
    return answer.inserted;
  }

  private async run(items: readonly Item[]): Promise<Answer[]> {
    // Each room's writes are serialised, so a room appears once; were it not, its events go alone.
    const rooms = new Set(items.map((i) => i.ev.roomId));
    if (items.length > 1 && rooms.size === items.length) {
      try {
        return (await insertGuardedEvents(this.db, items)).map((inserted) => ({ inserted }));
      } catch {
        // One row's failure failed them all: each alone, below, fails only its own.
      }
    }
    return Promise.all(
      items.map((i) =>
        insertEvent(this.db, i.ev, i.guard).then(
          (inserted): Answer => ({ inserted }),
          (error: unknown): Answer => ({ error }),
        ),
      ),
    );
  }
}
