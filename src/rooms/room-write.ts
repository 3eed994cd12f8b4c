import type { HearthContext } from "../context.ts";
import type { Db } from "../storage/database.ts";
import type { InsertGuard } from "../storage/rooms/event-writes.ts";
import {
  beginRoomWrite,
  commitRoomWrite,
  rollbackRoomWrite,
  roomLockKey,
} from "../storage/rooms/room-lock.ts";
import { RoomWriteCache, type CachedRoom } from "./write-cache.ts";

export interface WriteResult<T> {
  value: T;
  /** Set when an event was stored at an allocated position: who to wake after commit. */
  notify?: { userIds: readonly string[] };
  /** Servers that got outbox rows in this transaction: the sender is woken for them after commit. */
  federate?: readonly string[];
  /** The room as this write left it, kept for the next write once the transaction has committed. */
  cache?: CachedRoom;
}

/**
 * What a write built on the cached room `entry` and run on its own (the `alone` of withRoomWrite)
 * has its insert check: the room's lock free, the cached extremities and events as they were.
 */
export function cachedRoomGuard(ctx: HearthContext, roomId: string, entry: CachedRoom): InsertGuard {
  return {
    extremities: entry.extremities,
    watched: RoomWriteCache.watchedIds(entry),
    lockKey: roomLockKey(ctx.config.database.schema, roomId),
  };
}

/**
 * Runs one room write: the room's in-process lock, a stream position, one transaction holding the
 * room's advisory lock, and, only after commit, the position's completion, the sync wake-up and the
 * federation sender's. The position is completed on rollback too, or "persisted up to" would stall
 * behind it forever.
 *
 * The room's write cache entry is taken out for the write and handed to `fn` (unverified: `fn` checks
 * it against the extremities it reads under the lock); only what `fn` returns goes back, after commit,
 * so a write that does not maintain the cache, or fails, leaves none.
 */
export async function withRoomWrite<T>(
  ctx: HearthContext,
  roomId: string,
  fn: (tx: Db, position: number, cached: CachedRoom | undefined) => Promise<WriteResult<T>>,
  /**
   * Tried first, when the room has a cache entry: a write that is a single statement, run on its own
   * (its own transaction, taking the room's lock itself with a try), saving the round trips of
   * BEGIN with the lock and of COMMIT. Undefined when it wrote nothing: `fn` then runs as usual.
   */
  alone?: (db: Db, position: number, cached: CachedRoom) => Promise<WriteResult<T> | undefined>,
): Promise<T> {
  return withRoomWriteBatch(
    ctx,
    roomId,
    1,
    (tx, positions, cached) => fn(tx, positions[0]!, cached),
    alone && ((db, positions, cached) => alone(db, positions[0]!, cached)),
  );
}

/**
 * `withRoomWrite` for several events stored in one transaction (a federation transaction's events of
 * one room): `count` stream positions, ascending, and one wake-up after commit. Positions an event
 * does not use (a rejected one) are completed all the same.
 */
export async function withRoomWriteBatch<T>(
  ctx: HearthContext,
  roomId: string,
  count: number,
  fn: (tx: Db, positions: readonly number[], cached: CachedRoom | undefined) => Promise<WriteResult<T>>,
  alone?: (db: Db, positions: readonly number[], cached: CachedRoom) => Promise<WriteResult<T> | undefined>,
): Promise<T> {
  return ctx.rooms.locks.run(roomId, async () => {
    const positions = Array.from({ length: Math.max(1, count) }, () => ctx.streams.events.allocate());
    const last = positions[positions.length - 1]!;
    const cached = ctx.rooms.writeCache.take(roomId);
    try {
      const single = cached && alone ? await alone(ctx.db, positions, cached) : undefined;
      // A transaction by hand rather than db.transaction(): BEGIN then shares a round trip with the lock.
      const result =
        single ??
        (await ctx.db.connection().execute(async (conn) => {
          let out: WriteResult<T>;
          try {
            await beginRoomWrite(conn, ctx.config.database.schema, roomId);
            out = await fn(conn, positions, cached);
          } catch (e) {
            // Also after a failed lock statement: BEGIN ran, and the connection goes back to the pool.
            await rollbackRoomWrite(conn);
            throw e;
          }
          await commitRoomWrite(conn);
          return out;
        }));
      ctx.rooms.activity.wrote(roomId, last);
      if (result.cache) ctx.rooms.writeCache.put(roomId, result.cache);
      if (result.notify) ctx.rooms.commits.committed(last, [roomId], result.notify.userIds);
      if (result.federate && result.federate.length > 0) ctx.federation.sender.wake(result.federate);
      return result.value;
    } finally {
      for (const position of positions) ctx.streams.events.complete(position);
      ctx.rooms.commits.flush(ctx.streams.events, ctx.notifier);
    }
  });
}
