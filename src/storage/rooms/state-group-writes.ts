import { sql } from "kysely";
import { splitStateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";

/**
 * Writes an immutable state group: `entries` are the full state when `prevGroup` is null, otherwise
 * the changes relative to it (a null event id removes an entry). Returns the new group id. One
 * statement whatever the size: the entries travel as three array parameters, not one parameter each.
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
  const types: string[] = [];
  const stateKeys: string[] = [];
  const eventIds: (string | null)[] = [];
  for (const [key, eventId] of group.entries) {
    const [type, stateKey] = splitStateTupleKey(key);
    types.push(type);
    stateKeys.push(stateKey);
    eventIds.push(eventId);
  }
  const result = await sql<{ id: string }>`
    WITH g AS (
      INSERT INTO state_groups (room_id, prev_group, delta_depth)
      VALUES (${group.roomId}, ${group.prevGroup}, ${group.deltaDepth})
      RETURNING id
    ), entries AS (
      INSERT INTO state_group_entries (state_group, type, state_key, event_id)
      SELECT g.id, x.t, x.k, x.e FROM g, unnest(${types}::text[], ${stateKeys}::text[], ${eventIds}::text[]) AS x(t, k, e)
    )
    SELECT id FROM g
  `.execute(tx);
  return Number(result.rows[0]!.id);
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
