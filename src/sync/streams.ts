import type { Db } from "../storage/database.ts";
import { maxEventStreamOrdering } from "../storage/stream-positions.ts";
import { StreamTracker } from "./stream-tracker.ts";

/** One tracker per stream that has persisted positions, seeded from the database at start. */
export interface Streams {
  readonly events: StreamTracker;
}

export async function loadStreams(db: Db): Promise<Streams> {
  return { events: new StreamTracker(await maxEventStreamOrdering(db)) };
}
