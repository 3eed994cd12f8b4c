import { splitStateTupleKey, stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { Db } from "../database.ts";

/** Applies changes to the room's current state: an event id sets the entry, null removes it. */
export async function applyCurrentStateChanges(
  tx: Db,
  roomId: string,
  changes: ReadonlyMap<StateTupleKey, string | null>,
): Promise<void> {
  for (const [key, eventId] of changes) {
    const [type, stateKey] = splitStateTupleKey(key);
    if (eventId === null) {
      await tx
        .deleteFrom("current_state")
        .where("room_id", "=", roomId)
        .where("type", "=", type)
        .where("state_key", "=", stateKey)
        .execute();
    } else {
      await tx
        .insertInto("current_state")
        .values({ room_id: roomId, type, state_key: stateKey, event_id: eventId })
        .onConflict((oc) => oc.columns(["room_id", "type", "state_key"]).doUpdateSet({ event_id: eventId }))
        .execute();
    }
  }
}

/** Current state entries for just these keys (the writer rarely needs the whole state). */
export async function getCurrentStateIdsFor(
  db: Db,
  roomId: string,
  keys: readonly StateTupleKey[],
): Promise<Map<StateTupleKey, string>> {
  const out = new Map<StateTupleKey, string>();
  if (keys.length === 0) return out;
  const pairs = keys.map(splitStateTupleKey);
  const rows = await db
    .selectFrom("current_state")
    .select(["type", "state_key", "event_id"])
    .where("room_id", "=", roomId)
    .where((eb) =>
      eb.or(pairs.map(([type, stateKey]) => eb.and([eb("type", "=", type), eb("state_key", "=", stateKey)]))),
    )
    .execute();
  for (const r of rows) out.set(stateTupleKey(r.type, r.state_key), r.event_id);
  return out;
}
