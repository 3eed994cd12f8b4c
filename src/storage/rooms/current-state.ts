import { stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";

/** The room's current state as (type, state key) → event id. */
export async function getCurrentStateIds(db: Db, roomId: string): Promise<Map<StateTupleKey, string>> {
  const rows = await db
    .selectFrom("current_state")
    .select(["type", "state_key", "event_id"])
    .where("room_id", "=", roomId)
    .execute();
  return new Map(rows.map((r) => [stateTupleKey(r.type, r.state_key), r.event_id]));
}

export async function getCurrentStateEventId(
  db: Db,
  roomId: string,
  type: string,
  stateKey: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("current_state")
    .select("event_id")
    .where("room_id", "=", roomId)
    .where("type", "=", type)
    .where("state_key", "=", stateKey)
    .executeTakeFirst();
  return row?.event_id;
}
