import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateTupleKey } from "../../src/core/state-key.ts";
import { openDatabase, type DbHandle } from "../../src/storage/database.ts";
import { getEvent } from "../../src/storage/rooms/events.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import {
  beginRoomWrite,
  readWriteSnapshot,
  roomLockKey,
  rollbackRoomWrite,
} from "../../src/storage/rooms/room-lock.ts";
import { testDatabaseUrl, uniqueSchema } from "../support/database.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { currentState, makeRoom } from "./helpers.ts";

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

describe("the writer's first read under the lock", () => {
  let hs: TestHomeserver;
  beforeAll(async () => {
    hs = await startTestHomeserver({ server_name: "hs1.test" });
  });
  afterAll(() => hs?.destroy());

  it("brings current state at the requested keys with their events, null where the room has none", async () => {
    const alice = "@alice:hs1.test";
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    const state = await currentState(hs.ctx, roomId);
    const keys = [
      stateTupleKey("m.room.power_levels", ""),
      stateTupleKey("m.room.member", alice),
      stateTupleKey("m.room.member", "@nobody:hs1.test"),
      stateTupleKey("m.room.topic", ""),
    ];
    const snapshot = await hs.ctx.db
      .connection()
      .execute((conn) => readWriteSnapshot(conn, roomId, undefined, [], keys));
    expect([...snapshot.state.keys()].sort()).toEqual([...keys].sort());
    for (const key of keys.slice(0, 2)) {
      const ev = snapshot.state.get(key);
      expect(ev?.event_id).toBe(state.get(key));
      expect(ev).toEqual((await getEvent(hs.ctx.db, state.get(key)!))?.pdu);
    }
    expect(snapshot.state.get(keys[2]!)).toBeNull();
    expect(snapshot.state.get(keys[3]!)).toBeNull();
    expect(snapshot.extremities).toEqual(
      (await getForwardExtremities(hs.ctx.db, roomId)).map((e) => e.eventId),
    );
  });
});
