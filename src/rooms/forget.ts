import type { HearthContext } from "../context.ts";
import { MatrixError } from "../errors.ts";
import { getCurrentMembership } from "../storage/rooms/memberships.ts";
import { setForgotten } from "../storage/rooms/membership-writes.ts";

/**
 * POST /forget: hides a room the user has left (or been banned from) from their sync. Forgetting a
 * room they never had a membership in is a no-op, as there is nothing to hide. Runs under the room
 * lock so a concurrent re-join (which clears the flag) cannot be overwritten by it.
 */
export async function forgetRoom(ctx: HearthContext, roomId: string, userId: string): Promise<void> {
  await ctx.rooms.locks.run(roomId, async () => {
    const current = await getCurrentMembership(ctx.db, roomId, userId);
    if (current && ["join", "invite", "knock"].includes(current.membership)) {
      // The spec's own example answers M_UNKNOWN here.
      throw new MatrixError(400, "M_UNKNOWN", `User ${userId} is in room ${roomId}`);
    }
    if (current) await setForgotten(ctx.db, roomId, userId);
  });
}
