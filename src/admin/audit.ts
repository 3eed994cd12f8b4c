import type { HearthContext } from "../context.ts";

/** Who did an admin action: an admin's user id, or `cli:<os user>` for `hearth admin`. */
export type AdminActor = string;

/** Every admin action is logged with who did it, whatever the outcome of the request. */
export function logAdminAction(
  ctx: HearthContext,
  actor: AdminActor,
  action: string,
  details: Record<string, unknown> = {},
): void {
  ctx.log.info({ admin: actor, action, ...details }, `admin action: ${action}`);
}
