import { sql } from "kysely";
import { stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";
import { PREV_GROUP_OF_CHAIN_ROW } from "./state-lookup.ts";

/** The full state of a group (see loadStateGroups); throws for a group that does not exist. */
export async function loadStateGroup(db: Db, groupId: number): Promise<Map<StateTupleKey, string>> {
  const state = (await loadStateGroups(db, [groupId])).get(groupId) ?? new Map<StateTupleKey, string>();
  // An empty result is either a real empty state (before a room's create event) or no such group.
  if (state.size === 0) {
    const exists = await db
      .selectFrom("state_groups")
      .select("id")
      .where("id", "=", String(groupId))
      .executeTakeFirst();
    if (!exists) throw new Error(`unknown state group ${groupId}`);
  }
  return state;
}

/**
 * The full state of many state groups in one query: each group's delta chain is walked down to its
 * snapshot and, per (type, state key), the nearest entry wins (a NULL event id there: removed).
 */
export async function loadStateGroups(
  db: Db,
  groupIds: readonly number[],
): Promise<Map<number, Map<StateTupleKey, string>>> {
  const out = new Map<number, Map<StateTupleKey, string>>();
  for (const [id, { entries }] of await loadStateGroupsOver(db, groupIds, new Map())) {
    const state = new Map<StateTupleKey, string>();
    for (const [key, eventId] of entries) if (eventId !== null) state.set(key, eventId);
    out.set(id, state);
  }
  return out;
}

/**
 * The full state of many state groups in one query, over states the caller already holds: a delta
 * chain is walked down only until a group in `known` (its state is then that one's, with the entries
 * above it applied; null removes) or its snapshot.
 */
export async function loadStateGroupsOver(
  db: Db,
  groupIds: readonly number[],
  known: ReadonlyMap<number, ReadonlyMap<StateTupleKey, string>>,
): Promise<Map<number, { base: number | undefined; entries: Map<StateTupleKey, string | null> }>> {
  const out = new Map<number, { base: number | undefined; entries: Map<StateTupleKey, string | null> }>();
  const roots = [...new Set(groupIds)];
  for (const id of roots) out.set(id, { base: undefined, entries: new Map() });
  if (roots.length === 0) return out;
  const stops = [...known.keys()].map(String);
  const rows = await sql<{
    root: string;
    type: string | null;
    state_key: string | null;
    event_id: string | null;
    base: string | null;
  }>`
    WITH RECURSIVE chain(root, id, prev_group, n) AS (
      SELECT id, id, prev_group, 0 FROM state_groups WHERE id = ANY(${roots.map(String)}::bigint[])
      UNION ALL
      SELECT c.root, g.id, g.prev_group, c.n + 1 FROM chain c CROSS JOIN LATERAL ${PREV_GROUP_OF_CHAIN_ROW} g
      WHERE g.id <> ALL(${stops}::bigint[])
    ), nearest AS (
      SELECT DISTINCT ON (c.root, e.type, e.state_key) c.root, e.type, e.state_key, e.event_id
      FROM chain c JOIN LATERAL (
        SELECT e.type, e.state_key, e.event_id FROM state_group_entries e WHERE e.state_group = c.id OFFSET 0
      ) e ON true
      ORDER BY c.root, e.type, e.state_key, c.n
    )
    SELECT root, type, state_key, event_id, NULL::bigint AS base FROM nearest
    UNION ALL
    SELECT root, NULL, NULL, NULL, prev_group FROM chain WHERE prev_group = ANY(${stops}::bigint[])
  `.execute(db);
  for (const row of rows.rows) {
    const group = out.get(Number(row.root));
    if (!group) continue;
    if (row.base !== null) group.base = Number(row.base);
    else group.entries.set(stateTupleKey(row.type!, row.state_key!), row.event_id);
  }
  return out;
}
