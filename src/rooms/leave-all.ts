import type { HearthContext } from "../context.ts";
import { getRoomsForUser } from "../storage/rooms/memberships.ts";
import { updateMembership } from "./membership.ts";

/**
 * Makes the user leave every room they are joined to, reject every invite and retract every knock
 * (account deactivation). Carries on past rooms that refuse; returns the rooms left.
 */
export async function leaveAllRooms(ctx: HearthContext, userId: string): Promise<string[]> {
  const left: string[] = [];
  for (const { roomId } of await getRoomsForUser(ctx.db, userId, ["join", "invite", "knock"])) {
    try {
      await updateMembership(ctx, { roomId, sender: userId, target: userId, action: "leave" });
      left.push(roomId);
    } catch (err) {
      ctx.log.warn({ err, roomId, userId }, "could not leave room");
    }
  }
  return left;
}
