import type { HearthContext } from "../context.ts";
import { forbidden } from "../errors.ts";
import { roomBlockedBy } from "../storage/admin/blocked-rooms.ts";

/** Memberships that bring someone into a room: refused in rooms an admin blocked. */
const ENTERING = new Set(["join", "invite", "knock"]);

export async function refuseBlockedRoom(
  ctx: HearthContext,
  roomId: string,
  membership: unknown,
): Promise<void> {
  if (typeof membership !== "string" || !ENTERING.has(membership)) return;
  if ((await roomBlockedBy(ctx.db, roomId)) !== undefined) {
    throw forbidden("This room has been blocked on this server");
  }
}
