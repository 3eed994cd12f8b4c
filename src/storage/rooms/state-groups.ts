import { sql } from "kysely";
import { stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";

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
  const roots = [...new Set(groupIds)];
  for (const id of roots) out.set(id, new Map());
  if (roots.length === 0) return out;
  const rows = await sql<{ root: string; type: string; state_key: string; event_id: string | null }>`
    WITH RECURSIVE chain(root, id, prev_group, n) AS (
      SELECT id, id, prev_group, 0 FROM state_groups WHERE id = ANY(${roots.map(String)}::bigint[])
      UNION ALL
      SELECT c.root, g.id, g.prev_group, c.n + 1 FROM state_groups g JOIN chain c ON g.id = c.prev_group
    )
    SELECT DISTINCT ON (c.root, e.type, e.state_key) c.root, e.type, e.state_key, e.event_id
    FROM chain c JOIN state_group_entries e ON e.state_group = c.id
    ORDER BY c.root, e.type, e.state_key, c.n
  `.execute(db);
  for (const row of rows.rows) {
    if (row.event_id === null) continue;
    out.get(Number(row.root))?.set(stateTupleKey(row.type, row.state_key), row.event_id);
  }
  return out;
}
