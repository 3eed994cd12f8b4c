import { stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";

/**
 * The full state of a group: walk prev_group links down to a full snapshot, then apply the deltas
 * back up (a NULL event id removes an entry).
 */
export async function loadStateGroup(db: Db, groupId: number): Promise<Map<StateTupleKey, string>> {
  const chain = await db
    .withRecursive("chain(id, prev_group, n)", (qb) =>
      qb
        .selectFrom("state_groups")
        .select(["id", "prev_group", (eb) => eb.lit(0).as("n")])
        .where("id", "=", String(groupId))
        .unionAll((qb2) =>
          qb2
            .selectFrom("state_groups as g")
            .innerJoin("chain as c", "c.prev_group", "g.id")
            .select(["g.id", "g.prev_group", (eb) => eb("c.n", "+", 1).as("n")]),
        ),
    )
    .selectFrom("chain")
    .select(["id", "n"])
    .execute();
  if (chain.length === 0) throw new Error(`unknown state group ${groupId}`);
  const depthOf = new Map(chain.map((c) => [String(c.id), Number(c.n)]));
  const entries = await db
    .selectFrom("state_group_entries")
    .select(["state_group", "type", "state_key", "event_id"])
    .where(
      "state_group",
      "in",
      chain.map((c) => String(c.id)),
    )
    .execute();
  // Deepest (the snapshot) first, so later deltas overwrite it.
  entries.sort(
    (a, b) => (depthOf.get(String(b.state_group)) ?? 0) - (depthOf.get(String(a.state_group)) ?? 0),
  );
  const state = new Map<StateTupleKey, string>();
  for (const e of entries) {
    const key = stateTupleKey(e.type, e.state_key);
    if (e.event_id === null) state.delete(key);
    else state.set(key, e.event_id);
  }
  return state;
}
