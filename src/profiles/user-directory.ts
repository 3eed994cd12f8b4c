import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { searchUserDirectory } from "../storage/profiles/user-directory.ts";

export const DEFAULT_USER_SEARCH_LIMIT = 10;
export const MAX_USER_SEARCH_LIMIT = 100;

/** POST /user_directory/search: whitespace-separated words, each matched in the user id or display name. */
export async function searchUsers(
  ctx: Pick<HearthContext, "db">,
  searcher: string,
  term: string,
  limit: number,
): Promise<{ results: JsonObject[]; limited: boolean }> {
  const words = term
    .trim()
    .split(/\s+/u)
    .filter((w) => w !== "");
  if (words.length === 0 || limit === 0) return { results: [], limited: false };
  const found = await searchUserDirectory(ctx.db, searcher, words, limit + 1);
  const results = found.slice(0, limit).map((u) => {
    const entry: JsonObject = { user_id: u.userId };
    if (u.displayName !== null) entry.display_name = u.displayName;
    if (u.avatarUrl !== null) entry.avatar_url = u.avatarUrl;
    return entry;
  });
  return { results, limited: found.length > limit };
}
