import { sql } from "kysely";
import type { Db } from "../database.ts";

/** Tables that outlive a purge: they record the deletion itself. */
const KEPT = new Set(["room_deletions", "blocked_rooms", "rooms", "events", "state_groups"]);

/** Tables of the current schema that have the column, so tables added by later migrations are purged too. */
async function tablesWithColumn(db: Db, column: string): Promise<Set<string>> {
  const rows = await sql<{ table_name: string }>`
    SELECT c.table_name FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND c.column_name = ${column} AND t.table_type = 'BASE TABLE'
  `.execute(db);
  return new Set(rows.rows.map((r) => r.table_name));
}

/**
 * Deletes every row of the room in one transaction: rows keyed by its events, its state groups' entries,
 * rows keyed by the room id, then its events, state groups and the room itself (in that order, so the
 * foreign keys hold at every statement). Returns the number of events deleted.
 */
export async function purgeRoomRows(db: Db, roomId: string): Promise<number> {
  const withRoom = await tablesWithColumn(db, "room_id");
  const withEvent = await tablesWithColumn(db, "event_id");
  return db.transaction().execute(async (tx) => {
    const roomEvents = sql`(SELECT event_id FROM events WHERE room_id = ${roomId})`;
    for (const table of withEvent) {
      if (withRoom.has(table) || KEPT.has(table)) continue;
      await sql`DELETE FROM ${sql.table(table)} WHERE event_id IN ${roomEvents}`.execute(tx);
    }
    await sql`
      DELETE FROM state_group_entries
      WHERE state_group IN (SELECT id FROM state_groups WHERE room_id = ${roomId})
    `.execute(tx);
    for (const table of withRoom) {
      if (KEPT.has(table)) continue;
      await sql`DELETE FROM ${sql.table(table)} WHERE room_id = ${roomId}`.execute(tx);
    }
    const events = await tx.deleteFrom("events").where("room_id", "=", roomId).executeTakeFirst();
    await tx.deleteFrom("state_groups").where("room_id", "=", roomId).execute();
    await tx.deleteFrom("rooms").where("room_id", "=", roomId).execute();
    return Number(events.numDeletedRows);
  });
}
