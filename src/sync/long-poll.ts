import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { joinedRoomIds } from "../storage/sync/shared-rooms.ts";
import { computeSync, snapshotPositions } from "./compute.ts";
import { recordSyncPresence } from "./presence.ts";
import type { SyncRequest } from "./sync-request.ts";

type SyncContext = Pick<HearthContext, "db" | "streams" | "clock" | "sync" | "notifier">;

/**
 * GET /sync: one computation, and for an incremental sync with a timeout, a long-poll: return as soon
 * as anything for the user exists, else an empty response at the timeout whose next_batch is usable.
 *
 * The waiter is registered *before* each computation reads its snapshot, so a change committed while
 * computing wakes it (it resolves at once) instead of slipping between "nothing new" and "wait". A
 * waiter holds no database connection. Initial syncs and full_state return at once (spec).
 */
export async function handleSync(
  ctx: SyncContext,
  req: SyncRequest,
  signal?: AbortSignal,
): Promise<JsonObject> {
  await recordSyncPresence(ctx, req.userId, req.setPresence);
  const waits = req.since !== undefined && !req.fullState && req.timeoutMs > 0;
  const deadline = ctx.clock() + req.timeoutMs;
  for (;;) {
    const remaining = deadline - ctx.clock();
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    let woken: Promise<unknown> | undefined;
    if (waits && remaining > 0 && !signal?.aborted) {
      // Rooms joined now; membership changes reach the user's own waiter by user id.
      const rooms = await joinedRoomIds(ctx.db, req.userId);
      woken = ctx.notifier.wait(req.userId, rooms, remaining, stop.signal);
    }
    try {
      const result = await computeSync(ctx, req, snapshotPositions(ctx));
      if (!result.empty || !woken || signal?.aborted) return result.body;
      const change = await woken;
      // Timed out or the client went away: the empty response, with a next_batch to continue from.
      if (change === undefined) return result.body;
    } finally {
      stop.abort();
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
