import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GuardedInserts } from "../../src/rooms/guarded-inserts.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { getEvents } from "../../src/storage/rooms/events.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import { roomLockKey } from "../../src/storage/rooms/room-lock.ts";
import type { InsertGuard, NewEventRow } from "../../src/storage/rooms/event-writes.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { makeRoom } from "./helpers.ts";

/*
 * Plain messages written on their own (cached room, one guarded statement) in several rooms in the
 * same turn share one statement; each is still judged by its own guard, and one failing row fails only
 * its own send.
 */
let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());
afterEach(() => vi.restoreAllMocks());

const alice = "@alice:hearth.test";
const message = (body: string) => ({ type: "m.room.message", content: { msgtype: "m.text", body } });
const send = (roomId: string, body: string) =>
  sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message(body) });

type Item = { ev: NewEventRow; guard: InsertGuard };

/** The batches GuardedInserts runs (sizes), optionally changing the items first. */
function watchBatches(change?: (items: Item[]) => Item[]): number[] {
  const sizes: number[] = [];
  const proto = GuardedInserts.prototype as unknown as { run(items: Item[]): Promise<unknown> };
  const original = proto.run;
  vi.spyOn(proto, "run").mockImplementation(async function (this: GuardedInserts, items: Item[]) {
    sizes.push(items.length);
    return original.call(this, change ? change(items) : items);
  });
  return sizes;
}

/** Rooms whose write caches are warm (each has had a message written through the cache). */
async function warmRooms(n: number): Promise<{ roomId: string; tip: string }[]> {
  const rooms = [];
  for (let i = 0; i < n; i++) {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const { eventId } = await send(roomId, "warm");
    rooms.push({ roomId, tip: eventId });
  }
  return rooms;
}

async function prevOf(eventId: string): Promise<unknown> {
  return (await getEvents(hs.ctx.db, [eventId])).get(eventId)?.pdu.prev_events;
}

const extremities = async (roomId: string) =>
  (await getForwardExtremities(hs.ctx.db, roomId)).map((e) => e.eventId);

describe("guarded inserts of several rooms in one turn", () => {
  it("share one statement, each room's event built on its own extremity", async () => {
    const rooms = await warmRooms(3);
    const batches = watchBatches();
    const sent = await Promise.all(rooms.map((r, i) => send(r.roomId, `together ${i}`)));
    expect(batches).toEqual([3]);
    for (const [i, r] of rooms.entries()) {
      expect(sent[i]!.created).toBe(true);
      expect(await prevOf(sent[i]!.eventId)).toEqual([r.tip]);
      expect(await extremities(r.roomId)).toEqual([sent[i]!.eventId]);
    }
    // The caches stay warm: the next round shares a statement again.
    const again = await Promise.all(rooms.map((r, i) => send(r.roomId, `again ${i}`)));
    expect(batches).toEqual([3, 3]);
    for (const i of rooms.keys()) expect(await prevOf(again[i]!.eventId)).toEqual([sent[i]!.eventId]);
  });

  it("leave a room whose guard fails to its locked path, the others written", async () => {
    const rooms = await warmRooms(3);
    // Another connection (another process, say) holds the middle room's lock: its try fails.
    const other = new pg.Client({ connectionString: hs.ctx.config.database.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(
        `SELECT pg_advisory_xact_lock(${roomLockKey(hs.ctx.config.database.schema, rooms[1]!.roomId).toString()})`,
      );
      const batches = watchBatches();
      const sending = rooms.map((r, i) => send(r.roomId, `together ${i}`));
      const [first, , third] = await Promise.all([sending[0], Promise.resolve(), sending[2]]);
      expect(batches[0]).toBe(3);
      expect(await prevOf(first!.eventId)).toEqual([rooms[0]!.tip]);
      expect(await prevOf(third!.eventId)).toEqual([rooms[2]!.tip]);
      // The middle one waits for the lock on its locked path, then is written there.
      await other.query("COMMIT");
      const middle = await sending[1]!;
      expect(await prevOf(middle.eventId)).toEqual([rooms[1]!.tip]);
      expect(await extremities(rooms[1]!.roomId)).toEqual([middle.eventId]);
    } finally {
      await other.end();
    }
  });

  it("fail only the send whose row fails, running each alone after the shared statement failed", async () => {
    const rooms = await warmRooms(3);
    // The second row breaks a constraint (events.pdu is NOT NULL).
    const batches = watchBatches((items) =>
      items.map((item, i) =>
        i === 1 ? { ...item, ev: { ...item.ev, pdu: null as unknown as string } } : item,
      ),
    );
    const results = await Promise.allSettled(rooms.map((r, i) => send(r.roomId, `together ${i}`)));
    expect(batches).toEqual([3]);
    expect(results[1]!.status).toBe("rejected");
    for (const i of [0, 2]) {
      const r = results[i]!;
      expect(r.status).toBe("fulfilled");
      const { eventId } = (r as PromiseFulfilledResult<{ eventId: string }>).value;
      expect(await extremities(rooms[i]!.roomId)).toEqual([eventId]);
    }
    // Nothing of the failed send was written; the room takes the next message as before.
    expect(await extremities(rooms[1]!.roomId)).toEqual([rooms[1]!.tip]);
    const next = await send(rooms[1]!.roomId, "next");
    expect(await prevOf(next.eventId)).toEqual([rooms[1]!.tip]);
  });
});
