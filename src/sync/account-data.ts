import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { getAccountData, lockAccountData, upsertAccountData } from "../storage/sync/account-data.ts";

type AccountDataContext = Pick<HearthContext, "db" | "sync">;

/** Account data types the server manages; clients may read them but not set them directly (405). */
export const SERVER_MANAGED_ACCOUNT_DATA: ReadonlySet<string> = new Set(["m.fully_read", "m.push_rules"]);

function parseContent(text: string | undefined): JsonObject | undefined {
  if (text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  return isJsonObject(value) ? value : undefined;
}

export async function readAccountData(
  ctx: Pick<HearthContext, "db">,
  userId: string,
  roomId: string | undefined,
  type: string,
): Promise<JsonObject | undefined> {
  return parseContent(await getAccountData(ctx.db, userId, roomId, type));
}

/** Replaces one account data entry (global when roomId is undefined) at a new account_data position. */
export async function setAccountData(
  ctx: AccountDataContext,
  userId: string,
  roomId: string | undefined,
  type: string,
  content: JsonObject,
): Promise<void> {
  await ctx.sync.accountData.write(
    (position) => upsertAccountData(ctx.db, userId, roomId, type, JSON.stringify(content), position),
    () => ({ userIds: [userId] }),
  );
}

/**
 * Read-modify-write of one entry (room tags), in a transaction holding the row, so two devices
 * editing tags at once do not lose each other's change. `update` sees undefined for a missing or
 * empty entry.
 */
export async function updateAccountData(
  ctx: AccountDataContext,
  userId: string,
  roomId: string | undefined,
  type: string,
  update: (current: JsonObject | undefined) => JsonObject,
): Promise<void> {
  await ctx.sync.accountData.write(
    (position) =>
      ctx.db.transaction().execute(async (trx) => {
        const locked = await lockAccountData(trx, userId, roomId, type, position);
        // A row just created by the lock is a placeholder, not content the user set.
        const current = locked === "{}" ? undefined : parseContent(locked);
        await upsertAccountData(trx, userId, roomId, type, JSON.stringify(update(current)), position);
      }),
    () => ({ userIds: [userId] }),
  );
}
