import type { JsonObject } from "../core/json.ts";
import type { HearthContext } from "../context.ts";
import { forbidden } from "../errors.ts";
import { getRoomsForUser } from "../storage/rooms/memberships.ts";
import { sendLocalEvent } from "./send-event.ts";

export interface ProfileUpdate {
  /** The new values; null or undefined removes the field from member events. */
  displayname?: string | null;
  avatar_url?: string | null;
}

/**
 * After a global profile change: a new join event in every room the user is joined to, carrying the
 * new displayname and avatar (per-room fields the user set otherwise are kept). Rooms where nothing
 * changes get no event. One room failing (e.g. power levels forbid it) does not stop the others;
 * returns the rooms that were updated.
 */
export async function updateMemberProfiles(
  ctx: HearthContext,
  userId: string,
  profile: ProfileUpdate,
): Promise<string[]> {
  const updated: string[] = [];
  for (const { roomId } of await getRoomsForUser(ctx.db, userId, ["join"])) {
    try {
      const result = await sendLocalEvent(ctx, {
        roomId,
        sender: userId,
        draft: { type: "m.room.member", stateKey: userId, content: { membership: "join" } },
        dedupeState: true,
        prepare: async (view) => {
          const current = await view.stateEvent("m.room.member", userId);
          // Left between listing and locking: nothing to update (logged below like any refusal).
          if (!current || current.content.membership !== "join") throw forbidden("no longer joined");
          const content: JsonObject = { ...current.content };
          for (const key of ["displayname", "avatar_url"] as const) {
            const value = profile[key];
            if (typeof value === "string") content[key] = value;
            else delete content[key];
          }
          // The join_authorised_via_users_server of the original join authorised that join, not this one.
          delete content.join_authorised_via_users_server;
          return { draft: { type: "m.room.member", stateKey: userId, content } };
        },
      });
      if (result.created) updated.push(roomId);
    } catch (err) {
      ctx.log.warn({ err, roomId, userId }, "could not update member profile in room");
    }
  }
  return updated;
}
