import type { HearthContext } from "../context.ts";
import { leaveAllRooms } from "../rooms/leave-all.ts";
import { clearRoomLeaves, pendingRoomLeaves } from "../storage/admin/pending-leaves.ts";
import { claimScheduledDeletion } from "../storage/admin/room-deletions.ts";
import { runRoomDeletion } from "./room-deletion.ts";

export interface AdminRuntime {
  readonly jobs: AdminJobs;
}

/**
 * Room work the admin side queues in the database (room deletions; room leaves of users deactivated
 * by a CLI while a server owned the room writer) and the runner that does it. Only a process that
 * writes rooms runs it; a running server also polls, so work queued by `hearth admin` gets done.
 */
export class AdminJobs {
  private draining: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** Whether this process may write rooms (it holds the room-writer lock, or runs without one). */
  constructor(readonly writesRooms: boolean) {}

  /** Starts working through the queue unless already doing so; resolves when the queue is empty. */
  kick(ctx: HearthContext): Promise<void> {
    if (!this.writesRooms || this.stopped) return Promise.resolve();
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await drainOnce(ctx);
        } while (this.again && !this.stopped);
      } catch (err) {
        ctx.log.error({ err }, "admin jobs: runner failed");
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  /** Resolves once the runner has nothing in hand (tests await this instead of sleeping). */
  idle(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  /** Looks for work queued by other processes every `intervalMs` (a running server). */
  poll(ctx: HearthContext, intervalMs: number): void {
    if (!this.writesRooms || this.timer) return;
    this.timer = setInterval(() => void this.kick(ctx), intervalMs);
    this.timer.unref();
    void this.kick(ctx);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }
}

async function drainOnce(ctx: HearthContext): Promise<void> {
  for (;;) {
    const deletion = await claimScheduledDeletion(ctx.db, ctx.clock());
    if (!deletion) break;
    await runRoomDeletion(ctx, deletion);
  }
  for (;;) {
    const batch = await pendingRoomLeaves(ctx.db, 100);
    if (batch.length === 0) break;
    for (const userId of batch) {
      const left = await leaveAllRooms(ctx, userId);
      await clearRoomLeaves(ctx.db, userId);
      ctx.log.info({ userId, rooms: left.length }, "admin jobs: deactivated user left their rooms");
    }
  }
}
