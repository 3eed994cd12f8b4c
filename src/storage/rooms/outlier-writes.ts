import type { Db } from "../database.ts";

/**
 * Removes an event stored as an outlier (with its edges) so it can be stored again with its state,
 * when it turns out to belong in the timeline. False when it was not stored as an outlier.
 */
export async function deleteOutlier(tx: Db, eventId: string): Promise<boolean> {
  const deleted = await tx
    .deleteFrom("events")
    .where("event_id", "=", eventId)
    .where("outlier", "=", true)
    .executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) return false;
  await tx.deleteFrom("event_edges").where("event_id", "=", eventId).execute();
  await tx.deleteFrom("event_auth_edges").where("event_id", "=", eventId).execute();
  return true;
}
