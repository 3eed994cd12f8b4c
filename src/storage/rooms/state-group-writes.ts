import { splitStateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";

/**
 * Writes an immutable state group: `entries` are the full state when `prevGroup` is null, otherwise
 * the changes relative to it (a null event id removes an entry). Returns the new group id.
 */
export async function insertStateGroup(
  tx: Db,
  group: {
    roomId: string;
    prevGroup: number | null;
    deltaDepth: number;
    entries: ReadonlyMap<StateTupleKey, string | null>;
  },
): Promise<number> {
  const row = await tx
    .insertInto("state_groups")
    .values({ room_id: group.roomId, prev_group: group.prevGroup, delta_depth: group.deltaDepth })
    .returning("id")
    .executeTakeFirstOrThrow();
  const id = Number(row.id);
  const values = [...group.entries].map(([key, eventId]) => {
    const [type, stateKey] = splitStateTupleKey(key);
    return { state_group: id, type, state_key: stateKey, event_id: eventId };
  });
  // A full snapshot of a large room is thousands of rows; keep each statement well under pg's
  // 65535-parameter limit.
  for (let i = 0; i < values.length; i += 5000) {
    await tx
      .insertInto("state_group_entries")
      .values(values.slice(i, i + 5000))
      .execute();
  }
  return id;
}

/** How many deltas separate the group from its full snapshot. */
export async function stateGroupDeltaDepth(db: Db, groupId: number): Promise<number> {
  const row = await db
    .selectFrom("state_groups")
    .select("delta_depth")
    .where("id", "=", String(groupId))
    .executeTakeFirstOrThrow();
  return Number(row.delta_depth);
}
