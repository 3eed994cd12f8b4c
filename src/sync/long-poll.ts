import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { computeSync, snapshotPositions } from "./compute.ts";
import { deviceKeyCounts } from "./device-keys.ts";
import { recordSyncPresence } from "./presence.ts";
import type { SyncRequest } from "./sync-request.ts";
import type { SyncToken } from "./tokens.ts";

type SyncContext = Pick<
  HearthContext,
  "db" | "streams" | "clock" | "sync" | "notifier" | "rooms" | "serverName" | "federation" | "log"
>;

/** Whether any stream moved past the snapshot a computation read. */
function movedSince(a: SyncToken, b: SyncToken): boolean {
  return (Object.keys(a) as (keyof SyncToken)[]).some((k) => a[k] !== b[k]);
}

/**
 * GET /sync: one computation, and for an incremental sync with a timeout, a long-poll: return as soon
 * as anything for the user exists, else an empty response at the timeout whose next_batch is usable.
 *
 * An empty computation registers a waiter on the user and the rooms it found them joined to, then
 * checks that no stream moved since its snapshot: a change committed in between either moved a
 * position (so it computes again at once) or notifies after the waiter exists. Notifications come
 * only after the positions cover the change (invariant 3), which is what makes that check enough. A
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
  // Key counts go on every response, but a computation that ends up waiting needs none.
  const respond = async (body: JsonObject): Promise<JsonObject> => ({
    ...body,
    ...(await deviceKeyCounts(ctx, req.userId, req.deviceId)),
  });
  // After a timeout with nothing computed, compute once (the response needs its body).
  let mustCompute = false;
  for (;;) {
    const snapshot = snapshotPositions(ctx);
    // Nothing moved since the client's token: nothing can be new, so wait on the rooms the user was
    // in at that position, if a computation already found them.
    const quietRooms =
      waits && !mustCompute && !movedSince(req.since!, snapshot)
        ? ctx.sync.joinedRooms.at(req.userId, snapshot.events)
        : undefined;
    let result: Awaited<ReturnType<typeof computeSync>> | undefined;
    if (quietRooms === undefined) {
      result = await computeSync(ctx, req, snapshot);
      ctx.sync.joinedRooms.remember(req.userId, snapshot.events, result.joinedRoomIds);
    }
    const remaining = deadline - ctx.clock();
    if (result && (!result.empty || !waits || remaining <= 0 || signal?.aborted)) return respond(result.body);
    if (!result && (remaining <= 0 || signal?.aborted)) {
      mustCompute = true;
      continue;
    }
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const woken = ctx.notifier.wait(
        req.userId,
        result?.joinedRoomIds ?? quietRooms!,
        remaining,
        stop.signal,
      );
      if (movedSince(snapshotPositions(ctx), snapshot)) continue;
      // Timed out or the client went away: the empty response, with a next_batch to continue from.
      if ((await woken) === undefined) {
        if (result) return respond(result.body);
        mustCompute = true;
      }
    } finally {
      stop.abort();
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
