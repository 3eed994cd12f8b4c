import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDatabase, type DbHandle } from "../../src/storage/database.ts";
import { beginRoomWrite, roomLockKey, rollbackRoomWrite } from "../../src/storage/rooms/room-lock.ts";
import { testDatabaseUrl, uniqueSchema } from "../support/database.ts";

let handle: DbHandle;
beforeAll(() => {
  handle = openDatabase(testDatabaseUrl(), uniqueSchema(), 2);
});
afterAll(() => handle.close());

async function tryLock(key: bigint): Promise<boolean> {
  const { rows } = await sql<{
    ok: boolean;
  }>`SELECT pg_try_advisory_lock(${key.toString()}::bigint) AS ok`.execute(handle.db);
  if (rows[0]?.ok) await sql`SELECT pg_advisory_unlock(${key.toString()}::bigint)`.execute(handle.db);
  return rows[0]?.ok === true;
}

it("a room's write lock is per schema: servers sharing a database never wait on each other's rooms", async () => {
  const room = "!shared:hs1.test";
  await handle.db.connection().execute(async (conn) => {
    await beginRoomWrite(conn, "hs1_schema", room);
    try {
      expect(await tryLock(roomLockKey("hs1_schema", room))).toBe(false);
      expect(await tryLock(roomLockKey("hs2_schema", room))).toBe(true);
      expect(await tryLock(roomLockKey("hs1_schema", "!other:hs1.test"))).toBe(true);
    } finally {
      await rollbackRoomWrite(conn);
    }
  });
  expect(await tryLock(roomLockKey("hs1_schema", room))).toBe(true);
});
