import { sql, type RawBuilder, type Selectable } from "kysely";
import { stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";
import type { EventsTable } from "../schema.ts";
import { storedEventFromRow, type StoredEvent } from "./events.ts";

export interface StateKeyQuery {
  type: string;
  stateKey: string;
}

/**
 * The previous group of chain row `c`, as a LATERAL subquery: `OFFSET 0` keeps it one, so each step is an
 * index probe. Flattened into a join, a generic plan made while the tables were small scans the whole
 * table at every step of the walk. (The same fence guards the entry look-ups below.)
 */
export const PREV_GROUP_OF_CHAIN_ROW: RawBuilder<unknown> = sql`(
  SELECT g.id, g.prev_group FROM state_groups g WHERE g.id = c.prev_group OFFSET 0
)`;

/** Up to this many keys, each chain group is probed by key; past it, its entries are scanned once. */
const PROBED_KEYS = 8;

/**
 * The nearest entry for each wanted (type, state key) in each root group's delta chain, walked down to
 * its snapshot (a NULL event id there means "removed"), as the CTEs `chain`, `wanted` and `nearest`.
 * A few keys are looked up by primary key in each group of the chain: a scan would read the whole
 * snapshot at the bottom (a big room's member list) for two entries.
 */
function nearestEntries(roots: readonly number[], keys: readonly StateKeyQuery[]) {
  const entries =
    keys.length <= PROBED_KEYS
      ? sql`chain c CROSS JOIN wanted w
        JOIN LATERAL (
          SELECT e.type, e.state_key, e.event_id FROM state_group_entries e
          WHERE e.state_group = c.id AND e.type = w.type AND e.state_key = w.state_key
          OFFSET 0
        ) e ON true`
      : sql`chain c
        JOIN LATERAL (
          SELECT e.type, e.state_key, e.event_id FROM state_group_entries e WHERE e.state_group = c.id OFFSET 0
        ) e ON true
        JOIN wanted w ON w.type = e.type AND w.state_key = e.state_key`;
  return sql`
    RECURSIVE chain(root, id, prev_group, n) AS (
      SELECT id, id, prev_group, 0 FROM state_groups WHERE id = ANY(${roots.map(String)}::bigint[])
      UNION ALL
      SELECT c.root, g.id, g.prev_group, c.n + 1 FROM chain c CROSS JOIN LATERAL ${PREV_GROUP_OF_CHAIN_ROW} g
    ),
    wanted(type, state_key) AS (
      SELECT * FROM unnest(${keys.map((k) => k.type)}::text[], ${keys.map((k) => k.stateKey)}::text[])
    ),
    nearest AS (
      SELECT DISTINCT ON (c.root, e.type, e.state_key) c.root, e.type, e.state_key, e.event_id
      FROM ${entries}
      ORDER BY c.root, e.type, e.state_key, c.n
    )
  `;
}

/** One empty map per distinct group, for the lookups below to fill. */
function perGroup<T>(groupIds: readonly number[]): Map<number, Map<StateTupleKey, T>> {
  return new Map([...new Set(groupIds)].map((id) => [id, new Map<StateTupleKey, T>()]));
}

/**
 * A few (type, state key) entries of many state groups in one query (see nearestEntries). History
 * visibility needs two entries per event, so loading every group in full (a whole member list each)
 * would be wasted work.
 */
export async function lookupStateEntries(
  db: Db,
  groupIds: readonly number[],
  keys: readonly StateKeyQuery[],
): Promise<Map<number, Map<StateTupleKey, string>>> {
  const out = perGroup<string>(groupIds);
  if (out.size === 0 || keys.length === 0) return out;
  const rows = await sql<{ root: string; type: string; state_key: string; event_id: string | null }>`
    WITH ${nearestEntries([...out.keys()], keys)}
    SELECT root, type, state_key, event_id FROM nearest
  `.execute(db);
  for (const row of rows.rows) {
    if (row.event_id === null) continue;
    out.get(Number(row.root))?.set(stateTupleKey(row.type, row.state_key), row.event_id);
  }
  return out;
}

/** Entries of one state group restricted to some event types (e.g. only m.room.member). */
export async function lookupStateByType(
  db: Db,
  groupId: number,
  types: readonly string[],
): Promise<Map<StateTupleKey, string>> {
  const rows = await sql<{ type: string; state_key: string; event_id: string | null }>`
    WITH RECURSIVE chain(id, prev_group, n) AS (
      SELECT id, prev_group, 0 FROM state_groups WHERE id = ${String(groupId)}::bigint
      UNION ALL
      SELECT g.id, g.prev_group, c.n + 1 FROM chain c CROSS JOIN LATERAL ${PREV_GROUP_OF_CHAIN_ROW} g
    )
    SELECT DISTINCT ON (e.type, e.state_key) e.type, e.state_key, e.event_id
    FROM chain c JOIN LATERAL (
      SELECT e.type, e.state_key, e.event_id FROM state_group_entries e
      WHERE e.state_group = c.id AND e.type = ANY(${[...types]}::text[])
      OFFSET 0
    ) e ON true
    ORDER BY e.type, e.state_key, c.n
  `.execute(db);
  const out = new Map<StateTupleKey, string>();
  for (const row of rows.rows)
    if (row.event_id !== null) out.set(stateTupleKey(row.type, row.state_key), row.event_id);
  return out;
}

/**
 * lookupStateEntries with the events themselves, in the same round trip: for callers that need the
 * entries' contents (history visibility reads two small events per state group).
 */
export async function lookupStateEvents(
  db: Db,
  groupIds: readonly number[],
  keys: readonly StateKeyQuery[],
): Promise<Map<number, Map<StateTupleKey, StoredEvent>>> {
  const out = perGroup<StoredEvent>(groupIds);
  if (out.size === 0 || keys.length === 0) return out;
  const rows = await sql<Selectable<EventsTable> & { root: string; entry_type: string; entry_key: string }>`
    WITH ${nearestEntries([...out.keys()], keys)}
    SELECT n.root, n.type AS entry_type, n.state_key AS entry_key, ev.*
    FROM nearest n JOIN LATERAL (SELECT * FROM events WHERE event_id = n.event_id OFFSET 0) ev ON true
  `.execute(db);
  for (const row of rows.rows) {
    out.get(Number(row.root))?.set(stateTupleKey(row.entry_type, row.entry_key), storedEventFromRow(row));
  }
  return out;
}
