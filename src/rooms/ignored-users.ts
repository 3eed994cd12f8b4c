import type { HearthContext } from "../context.ts";
import { isJsonObject } from "../core/json.ts";
import { getAccountData } from "../storage/sync/account-data.ts";

/**
 * The users `userId` ignores (global account data m.ignored_user_list). Their message events are left
 * out of pages and aggregations served to that user; their state events are still sent (spec
 * "Ignoring Users": servers must still send state events sent by ignored users).
 */
export async function ignoredUsers(
  ctx: Pick<HearthContext, "db">,
  userId: string,
): Promise<ReadonlySet<string>> {
  const text = await getAccountData(ctx.db, userId, undefined, "m.ignored_user_list");
  if (text === undefined) return new Set();
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    return new Set();
  }
  const ignored = isJsonObject(content) ? content.ignored_users : undefined;
  return new Set(isJsonObject(ignored) ? Object.keys(ignored) : []);
}

/** Whether an event from an ignored sender should be hidden: only non-state events are. */
export function hiddenAsIgnored(ignored: ReadonlySet<string>, sender: string, stateKey: unknown): boolean {
  return typeof stateKey !== "string" && ignored.has(sender);
}
