import type { HearthContext } from "../context.ts";
import { updateMembership } from "../rooms/membership.ts";

/** Makes a local user leave (or reject an invite, retract a knock) as themselves; false when refused. */
export async function leaveRoomAs(ctx: HearthContext, roomId: string, userId: string): Promise<boolean> {
  try {
    await updateMembership(ctx, { roomId, sender: userId, target: userId, action: "leave" });
    return true;
  } catch (err) {
    ctx.log.warn({ err, roomId, userId }, "could not make the user leave the room");
    return false;
  }
}
