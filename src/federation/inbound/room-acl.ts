import { compileServerAcl, isServerAllowed, type ServerAcl } from "../../core/server-acl.ts";
import type { HearthContext } from "../../context.ts";
import type { Db } from "../../storage/database.ts";
import { getCurrentStateEventId } from "../../storage/rooms/current-state.ts";
import { getEvent } from "../../storage/rooms/events.ts";

/** The room's current `m.room.server_acl`, compiled; undefined when there is none (everyone may). */
async function currentRoomAcl(db: Db, roomId: string): Promise<ServerAcl | undefined> {
  const id = await getCurrentStateEventId(db, roomId, "m.room.server_acl", "");
  if (id === undefined) return undefined;
  return compileServerAcl((await getEvent(db, id))?.pdu.content);
}

/** Whether the room's current `m.room.server_acl` lets `serverName` take part (no ACL: yes). */
export async function isServerAllowedInRoom(
  ctx: Pick<HearthContext, "db">,
  roomId: string,
  serverName: string,
): Promise<boolean> {
  return isServerAllowed(await currentRoomAcl(ctx.db, roomId), serverName);
}

/**
 * The servers among `servers` the room's current ACL lets take part: what this server sends the
 * room's events and EDUs to (a denied server would refuse them anyway, and must not get them).
 */
export async function serversAllowedInRoom(
  db: Db,
  roomId: string,
  servers: readonly string[],
): Promise<string[]> {
  if (servers.length === 0) return [];
  const acl = await currentRoomAcl(db, roomId);
  return acl === undefined ? [...servers] : servers.filter((s) => isServerAllowed(acl, s));
}
