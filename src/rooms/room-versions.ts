import type { HearthContext } from "../context.ts";
import { getRoomVersion, type RoomVersion } from "../core/room-versions.ts";
import { roomVersionsOf } from "../storage/rooms/event-metadata.ts";

export type RoomVersionsContext = Pick<HearthContext, "db" | "rooms">;

/**
 * The version of each known room among `roomIds`. A room's version never changes, so each is read
 * from the database once per instance; rooms of versions this server does not know are left out.
 */
export async function roomVersions(
  ctx: RoomVersionsContext,
  roomIds: Iterable<string>,
): Promise<Map<string, RoomVersion>> {
  const known = ctx.rooms.versions;
  const out = new Map<string, RoomVersion>();
  const missing: string[] = [];
  for (const roomId of new Set(roomIds)) {
    const version = known.get(roomId);
    if (version) out.set(roomId, version);
    else missing.push(roomId);
  }
  if (missing.length === 0) return out;
  for (const [roomId, id] of await roomVersionsOf(ctx.db, missing)) {
    const version = getRoomVersion(id);
    if (!version) continue;
    known.set(roomId, version);
    out.set(roomId, version);
  }
  return out;
}
