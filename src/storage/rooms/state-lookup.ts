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

/** Up to this many keys, each group of a chain is probed by key; past it, its entries are scanned once. */
const PROBED_KEYS = 8;

type ChainRow = {
  walk_id: string;
  walk_prev: string | null;
  entry_type: string | null;
  entry_key: string | null;
  entry_event: string | null;
};

/**
 * The wanted entries of every group in the delta chains under `roots`, each group read once however
 * many roots share it (consecutive groups of a room mostly do), with the chains' links; optionally
 * with the entries' events, in the same round trip. `resolveNearest` then answers per root.
 */
async function chainEntries<Extra extends object>(
  db: Db,
  roots: readonly number[],
  keys: readonly StateKeyQuery[],
  withEvents: boolean,
): Promise<(ChainRow & Partial<Extra>)[]> {
  const entries =
    keys.length <= PROBED_KEYS
      ? sql`SELECT e.type, e.state_key, e.event_id FROM wanted w JOIN LATERAL (
          SELECT e.type, e.state_key, e.event_id FROM state_group_entries e
          WHERE e.state_group = c.id AND e.type = w.type AND e.state_key = w.state_key
          OFFSET 0
        ) e ON true`
      : sql`SELECT e.type, e.state_key, e.event_id FROM state_group_entries e
          JOIN wanted w ON w.type = e.type AND w.state_key = e.state_key
          WHERE e.state_group = c.id`;
  const events = withEvents
    ? sql`LEFT JOIN LATERAL (SELECT * FROM events WHERE event_id = e.event_id OFFSET 0) ev ON true`
    : sql``;
  const result = await sql<ChainRow & Partial<Extra>>`
    WITH RECURSIVE walk(id, prev_group) AS (
      SELECT id, prev_group FROM state_groups WHERE id = ANY(${roots.map(String)}::bigint[])
      UNION
      SELECT g.id, g.prev_group FROM walk c CROSS JOIN LATERAL ${PREV_GROUP_OF_CHAIN_ROW} g
    ),
    wanted(type, state_key) AS (
      SELECT * FROM unnest(${keys.map((k) => k.type)}::text[], ${keys.map((k) => k.stateKey)}::text[])
    )
    SELECT c.id AS walk_id, c.prev_group AS walk_prev, e.type AS entry_type, e.state_key AS entry_key,
      e.event_id AS entry_event${withEvents ? sql`, ev.*` : sql``}
    FROM walk c LEFT JOIN LATERAL (${entries} OFFSET 0) e ON true
    ${events}
  `.execute(db);
  return result.rows;
}

/**
 * Per root, per wanted key, the nearest entry down its chain (a NULL event id there: removed, so
 * absent), as the row that holds it.
 */
function resolveNearest<R extends ChainRow>(
  roots: Iterable<number>,
  rows: readonly R[],
): Map<number, Map<StateTupleKey, R>> {
  const prev = new Map<number, number | null>();
  const byGroup = new Map<number, Map<StateTupleKey, R>>();
  for (const row of rows) {
    const id = Number(row.walk_id);
    prev.set(id, row.walk_prev === null ? null : Number(row.walk_prev));
    if (row.entry_type === null || row.entry_key === null) continue;
    let entries = byGroup.get(id);
    if (!entries) byGroup.set(id, (entries = new Map()));
    entries.set(stateTupleKey(row.entry_type, row.entry_key), row);
  }
  const out = new Map<number, Map<StateTupleKey, R>>();
  for (const root of roots) {
    const found = new Map<StateTupleKey, R>();
    const decided = new Set<StateTupleKey>();
    // At most one step per chain link: a chain is acyclic, and a missing link ends the walk.
    for (let g: number | null | undefined = root; g !== null && g !== undefined; g = prev.get(g)) {
      for (const [key, row] of byGroup.get(g) ?? []) {
        if (decided.has(key)) continue;
        decided.add(key);
        if (row.entry_event !== null) found.set(key, row);
      }
    }
    out.set(root, found);
  }
  return out;
}

/** One empty map per distinct group, for the lookups below to fill. */
function perGroup<T>(groupIds: readonly number[]): Map<number, Map<StateTupleKey, T>> {
  return new Map([...new Set(groupIds)].map((id) => [id, new Map<StateTupleKey, T>()]));
}

/**
 * A few (type, state key) entries of many state groups in one query (see chainEntries). History
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
  const rows = await chainEntries(db, [...out.keys()], keys, false);
  for (const [root, found] of resolveNearest(out.keys(), rows)) {
    for (const [key, row] of found) out.get(root)!.set(key, row.entry_event!);
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
  const rows = await chainEntries<Selectable<EventsTable>>(db, [...out.keys()], keys, true);
  for (const [root, found] of resolveNearest(out.keys(), rows)) {
    for (const [key, row] of found) {
      // The entry's event row came with it (absent only if the event itself is gone).
      if (row.event_id !== undefined && row.event_id !== null) {
        out.get(root)!.set(key, storedEventFromRow(row as unknown as Selectable<EventsTable>));
      }
    }
  }
  return out;
}
