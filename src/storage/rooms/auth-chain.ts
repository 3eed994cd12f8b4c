import type { Db } from "../database.ts";

/** Every event reachable from `eventIds` through auth_events (the starting events excluded). */
export async function getAuthChainIds(db: Db, eventIds: readonly string[]): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const rows = await db
    .withRecursive("chain(event_id)", (qb) =>
      qb
        .selectFrom("event_auth_edges")
        .select("auth_event_id as event_id")
        .where("event_id", "in", [...new Set(eventIds)])
        // UNION (not UNION ALL) stops at events already seen, so shared chains are walked once.
        .union((qb2) =>
          qb2
            .selectFrom("event_auth_edges as e")
            .innerJoin("chain as c", "c.event_id", "e.event_id")
            .select("e.auth_event_id as event_id"),
        ),
    )
    .selectFrom("chain")
    .select("event_id")
    .execute();
  return rows.map((r) => r.event_id);
}
