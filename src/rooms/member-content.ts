import type { JsonObject } from "../core/json.ts";
import type { HearthContext } from "../context.ts";

/**
 * Member event content for `userId` with their global displayname and avatar, which clients show
 * for the member (Synapse fills them on joins and invites too, so clients rely on it).
 */
export async function memberContent(
  ctx: HearthContext,
  userId: string,
  membership: string,
): Promise<JsonObject> {
  const profile = await ctx.rooms.profiles(userId);
  const content: JsonObject = { membership };
  if (typeof profile.displayname === "string") content.displayname = profile.displayname;
  if (typeof profile.avatar_url === "string") content.avatar_url = profile.avatar_url;
  return content;
}
