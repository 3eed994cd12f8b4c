import { sql } from "kysely";
import type { Db } from "../database.ts";

/**
 * Takes the room's write lock for the rest of the transaction. Processes sharing the database each
 * serialise their own writers in memory; this is what serialises them against each other. hashtext
 * collisions only make two rooms wait for each other, never break correctness.
 */
export async function lockRoomForWrite(tx: Db, roomId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${roomId}))`.execute(tx);
}
