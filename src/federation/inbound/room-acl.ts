import { compileServerAcl, isServerAllowed } from "../../core/server-acl.ts";
import type { HearthContext } from "../../context.ts";
import { getCurrentStateEventId } from "../../storage/rooms/current-state.ts";
import { getEvent } from "../../storage/rooms/events.ts";

/** Whether the room's current `m.room.server_acl` lets `serverName` take part (no ACL: yes). */
export async function isServerAllowedInRoom(
  ctx: Pick<HearthContext, "db">,
  roomId: string,
  serverName: string,
): Promise<boolean> {
  const id = await getCurrentStateEventId(ctx.db, roomId, "m.room.server_acl", "");
  if (id === undefined) return true;
  const ev = await getEvent(ctx.db, id);
  return isServerAllowed(compileServerAcl(ev?.pdu.content), serverName);
}
