import { createHash } from "node:crypto";
import type pg from "pg";

/**
 * Held by the one process that writes rooms for a schema: `hearth serve` waits for it, `hearth admin`
 * only tries. Positions on the events stream are handed out in memory from a counter seeded at start
 * (see sync/stream-tracker.ts), so a second writer would reuse the server's positions; this lock is
 * what keeps the CLI from ever being that second writer. Session-level, on a connection of its own.
 */
export interface RoomWriterLock {
  release(): void;
}

function lockKey(schema: string): string {
  return createHash("sha256").update(`hearth:room-writer:${schema}`).digest().readBigInt64BE(0).toString();
}

/**
 * `wait`: blocks until the lock is free, calling `onWait` first if it is not. `try`: undefined when
 * another process holds it.
 */
export async function acquireRoomWriterLock(
  pool: pg.Pool,
  schema: string,
  mode: "wait" | "try",
  onWait: () => void = () => undefined,
): Promise<RoomWriterLock | undefined> {
  const client = await pool.connect();
  try {
    const key = lockKey(schema);
    const res = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [
      key,
    ]);
    if (res.rows[0]?.locked !== true) {
      if (mode === "try") {
        client.release();
        return undefined;
      }
      onWait();
      await client.query("SELECT pg_advisory_lock($1::bigint)", [key]);
    }
  } catch (err) {
    client.release(true);
    throw err;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // Destroying the connection ends the session, which drops the lock with it.
      client.release(true);
    },
  };
}
