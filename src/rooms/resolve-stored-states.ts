import { resolveState } from "../core/state-res/index.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { StateMap, StateTupleKey } from "../core/state-key.ts";
import type { Db } from "../storage/database.ts";
import { getAuthChainIds } from "../storage/rooms/auth-chain.ts";
import { getEvents, type StoredEvent } from "../storage/rooms/events.ts";

// Keeps each `IN (...)` list far below PostgreSQL's 65535 bind parameters.
const CHUNK = 10_000;

async function loadEvents(db: Db, ids: readonly string[]): Promise<Map<string, StoredEvent>> {
  const out = new Map<string, StoredEvent>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    for (const [id, ev] of await getEvents(db, ids.slice(i, i + CHUNK))) out.set(id, ev);
  }
  return out;
}

/**
 * State resolution over stored state sets: preloads the sets' events and their whole auth chains
 * (the core algorithm is pure and synchronous), then resolves with the room version's algorithm.
 */
export async function resolveStoredStates(
  db: Db,
  version: RoomVersion,
  stateSets: readonly StateMap[],
): Promise<Map<StateTupleKey, string>> {
  if (stateSets.length <= 1) return new Map(stateSets[0] ?? []);
  const ids = new Set<string>();
  for (const set of stateSets) for (const id of set.values()) ids.add(id);
  for (const id of await getAuthChainIds(db, [...ids])) ids.add(id);
  const events = await loadEvents(db, [...ids]);
  return resolveState(version, stateSets, {
    getEvent: (id) => events.get(id)?.pdu,
    isRejected: (id) => events.get(id)?.rejectedReason != null,
  });
}
