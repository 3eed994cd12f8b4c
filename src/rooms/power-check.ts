import { parsePowerLevels, requiredPowerLevel, userPowerLevel } from "../core/power-levels.ts";
import { getCurrentStateEventId } from "../storage/rooms/current-state.ts";
import { getEvents } from "../storage/rooms/events.ts";
import { roomVersions, type RoomVersionsContext } from "./room-versions.ts";

/**
 * Whether the user could send a state event of `eventType` in the room's current state, by power level
 * alone (membership is checked by the caller). Server-side permissions that mirror room moderation
 * (publishing a room, deleting someone else's alias) use the level of m.room.canonical_alias, as a
 * "moderator of this room's addressing" test.
 */
export async function hasStatePower(
  ctx: RoomVersionsContext,
  roomId: string,
  userId: string,
  eventType: string,
): Promise<boolean> {
  const version = (await roomVersions(ctx, [roomId])).get(roomId);
  const createId = await getCurrentStateEventId(ctx.db, roomId, "m.room.create", "");
  if (!version || !createId) return false;
  const plId = await getCurrentStateEventId(ctx.db, roomId, "m.room.power_levels", "");
  const events = await getEvents(ctx.db, plId ? [createId, plId] : [createId]);
  const create = events.get(createId);
  if (!create) return false;
  const pl = plId === undefined ? undefined : events.get(plId);
  const have = userPowerLevel(version, userId, pl?.pdu, create.pdu);
  const need = requiredPowerLevel(version, parsePowerLevels(pl?.pdu.content, version), eventType, true);
  return have >= need;
}
