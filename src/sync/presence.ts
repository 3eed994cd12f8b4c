import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { federatePresence } from "../federation/sender/edu-fanout.ts";
import { joinedRoomIds } from "../storage/sync/shared-rooms.ts";
import { getPresence, touchLastActive, upsertPresence, type PresenceRow } from "../storage/sync/presence.ts";

type PresenceContext = Pick<HearthContext, "db" | "sync" | "clock">;
/** Local users' presence also goes to the servers sharing a room with them. */
type LocalPresenceContext = PresenceContext & Pick<HearthContext, "serverName" | "federation" | "log">;

/** Stores a local user's presence change and tells the other servers that share a room with them. */
async function writeLocalPresence(
  ctx: LocalPresenceContext,
  userId: string,
  row: Omit<PresenceRow, "streamId" | "userId">,
): Promise<void> {
  await writePresence(ctx, userId, row);
  const now = ctx.clock();
  await federatePresence(ctx, userId, presenceContent({ ...row, userId, streamId: 0 }, now));
}

export type PresenceState = "online" | "unavailable" | "offline";
export const PRESENCE_STATES: ReadonlySet<string> = new Set(["online", "unavailable", "offline"]);

/** Online users idle this long read as unavailable (spec "Idle timeout": e.g. 5 minutes). */
export const IDLE_AFTER_MS = 5 * 60_000;
/** Activity is written at most this often; last_active_ago is computed when read. */
const ACTIVITY_WRITE_INTERVAL_MS = 60_000;
/** "currently_active" means active within this window. */
const CURRENTLY_ACTIVE_MS = 60_000;

/**
 * Stores a presence change at a new position and wakes everyone sharing a room with the user (their
 * waiters listen on those rooms) and the user's own syncs.
 */
async function writePresence(
  ctx: PresenceContext,
  userId: string,
  row: Omit<PresenceRow, "streamId" | "userId">,
): Promise<void> {
  const rooms = await joinedRoomIds(ctx.db, userId);
  await ctx.sync.presence.write(
    (position) => upsertPresence(ctx.db, { userId, ...row, streamId: position }),
    () => ({ userIds: [userId], roomIds: rooms }),
  );
  ctx.sync.presenceSeen.set(userId, { state: row.state, activeTs: row.lastActiveTs });
}

/** Presence of a remote user, as their server reported it in an m.presence EDU. */
export async function setRemotePresence(
  ctx: PresenceContext,
  userId: string,
  p: { state: PresenceState; statusMsg: string | null; lastActiveTs: number },
): Promise<void> {
  await writePresence(ctx, userId, p);
}

/** PUT /presence/{userId}/status. `statusMsg` undefined keeps nothing: the status is what was sent. */
export async function setPresence(
  ctx: LocalPresenceContext,
  userId: string,
  state: PresenceState,
  statusMsg: string | undefined,
): Promise<void> {
  const now = ctx.clock();
  const current = await getPresence(ctx.db, userId);
  const lastActiveTs = state === "online" ? now : (current?.lastActiveTs ?? now);
  await writeLocalPresence(ctx, userId, { state, statusMsg: statusMsg ?? null, lastActiveTs });
}

/**
 * What syncing does to presence (`set_presence`, default online): online and unavailable are set when
 * they differ from the stored state; offline leaves presence alone. Staying online only refreshes the
 * activity time, without a new position (it changes nothing others must be told about).
 */
export async function recordSyncPresence(
  ctx: LocalPresenceContext,
  userId: string,
  setPresence: PresenceState,
): Promise<void> {
  if (setPresence === "offline") return;
  const now = ctx.clock();
  // Most syncs change nothing: what this process last stored says so without reading the row.
  const seen = ctx.sync.presenceSeen.get(userId);
  if (
    seen?.state === setPresence &&
    (setPresence !== "online" || now - seen.activeTs < ACTIVITY_WRITE_INTERVAL_MS)
  ) {
    return;
  }
  const current = await getPresence(ctx.db, userId);
  if (!current || current.state !== setPresence) {
    const lastActiveTs = setPresence === "online" ? now : (current?.lastActiveTs ?? now);
    await writeLocalPresence(ctx, userId, {
      state: setPresence,
      statusMsg: current?.statusMsg ?? null,
      lastActiveTs,
    });
  } else if (setPresence === "online" && now - current.lastActiveTs >= ACTIVITY_WRITE_INTERVAL_MS) {
    await touchLastActive(ctx.db, userId, now);
    ctx.sync.presenceSeen.set(userId, { state: setPresence, activeTs: now });
  } else {
    ctx.sync.presenceSeen.set(userId, { state: setPresence, activeTs: current.lastActiveTs });
  }
}

/** The state a reader sees: online users idle past the threshold read as unavailable. */
export function effectiveState(row: PresenceRow, now: number): PresenceState {
  const state = PRESENCE_STATES.has(row.state) ? (row.state as PresenceState) : "offline";
  if (state === "online" && now - row.lastActiveTs >= IDLE_AFTER_MS) return "unavailable";
  return state;
}

/** The m.presence content (also the body of GET /presence/{userId}/status). */
export function presenceContent(row: PresenceRow | undefined, now: number): JsonObject {
  if (!row) return { presence: "offline" };
  const state = effectiveState(row, now);
  const ago = Math.max(0, now - row.lastActiveTs);
  const content: JsonObject = { presence: state, last_active_ago: ago };
  if (state === "online") content.currently_active = ago < CURRENTLY_ACTIVE_MS;
  if (row.statusMsg !== null) content.status_msg = row.statusMsg;
  return content;
}
