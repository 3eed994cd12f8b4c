import type { HearthContext } from "../context.ts";
import type { Db } from "../storage/database.ts";
import { lockRoomForWrite } from "../storage/rooms/room-lock.ts";

export interface WriteResult<T> {
  value: T;
  /** Set when an event was stored at the allocated position: who to wake after commit. */
  notify?: { userIds: readonly string[] };
}

/**
 * Runs one room write: the room's in-process lock, a stream position, one transaction holding the
 * room's advisory lock, and, only after commit, the position's completion and the sync wake-up. The
 * position is completed on rollback too, or "persisted up to" would stall behind it forever.
 */
export async function withRoomWrite<T>(
  ctx: HearthContext,
  roomId: string,
  fn: (tx: Db, position: number) => Promise<WriteResult<T>>,
): Promise<T> {
  return ctx.rooms.locks.run(roomId, async () => {
    const position = ctx.streams.events.allocate();
    try {
      const result = await ctx.db.transaction().execute(async (tx) => {
        await lockRoomForWrite(tx, roomId);
        return fn(tx, position);
      });
      if (result.notify) ctx.rooms.commits.committed(position, [roomId], result.notify.userIds);
      return result.value;
    } finally {
      ctx.streams.events.complete(position);
      ctx.rooms.commits.flush(ctx.streams.events, ctx.notifier);
    }
  });
}
