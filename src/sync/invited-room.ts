import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { strippedRoomState } from "./invite-state.ts";

/** `rooms.invite.{id}` (`invite_state`) or `rooms.knock.{id}` (`knock_state`). */
export async function invitedRoomSection(
  ctx: Pick<HearthContext, "db">,
  plan: { kind: "invite" | "knock"; eventId: string },
): Promise<JsonObject> {
  const events = await strippedRoomState(ctx, plan.eventId);
  return plan.kind === "invite" ? { invite_state: { events } } : { knock_state: { events } };
}
