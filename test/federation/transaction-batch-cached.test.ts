import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import pg from "pg";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import { HeldEventInserts } from "../../src/rooms/held-event-inserts.ts";
import { storeOutliers } from "../../src/rooms/remote-events.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { getEvent, getEvents } from "../../src/storage/rooms/events.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import { roomLockKey } from "../../src/storage/rooms/room-lock.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { pduSender, roomWithRemoteMember } from "./inbound-fakes.ts";

/*
 * A run of plain messages extending a room whose write cache is warm is stored by one guarded
 * statement outside a transaction; whatever the cache assumed that no longer holds (a write it did not
 * see, the room's lock taken, an event already stored) sends the run through the locked path instead,
 * with the same answers.
 */
let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver({ server_name: "hs1.test" });
});
afterAll(() => hs?.destroy());
afterEach(() => vi.restoreAllMocks());

const alice = "@alice:hs1.test";
const bob = "@bob:hs2.test";
const mallory = "@mallory:hs2.test";
const msg = (body: string) => ({ type: "m.room.message", content: { msgtype: "m.text", body } });

async function setup() {
  const { remote, peers, roomId, join } = await roomWithRemoteMember(hs.ctx, { creator: alice, member: bob });
  const send = pduSender(hs.ctx, remote, peers);
  const chain = async (from: IdentifiedPdu, bodies: string[], sender = bob): Promise<IdentifiedPdu[]> => {
    const out: IdentifiedPdu[] = [];
    let prev = from;
    for (const body of bodies) {
      prev = await remote.build(hs.ctx, roomId, sender, msg(body), { prev: [prev] });
      out.push(prev);
    }
    return out;
  };
  // A first run leaves the room's write cache warm.
  const [warm] = await chain(join, ["warm"]);
  expect(await send([warm!])).toEqual({ pdus: { [warm!.event_id]: {} } });
  return { remote, roomId, send, chain, warm: warm! };
}

/** Each flush of held rows: whether it was guarded and whether it wrote. */
function watchFlushes(): { guarded: boolean; written: boolean }[] {
  const calls: { guarded: boolean; written: boolean }[] = [];
  const original = HeldEventInserts.prototype.flush;
  vi.spyOn(HeldEventInserts.prototype, "flush").mockImplementation(async function (
    this: HeldEventInserts,
    tx,
    guard,
  ) {
    const written = await original.call(this, tx, guard);
    calls.push({ guarded: guard !== undefined, written });
    return written;
  });
  return calls;
}

const extremities = async (roomId: string) =>
  (await getForwardExtremities(hs.ctx.db, roomId)).map((e) => e.eventId).sort();

const answered = (pdus: IdentifiedPdu[]) => ({ pdus: Object.fromEntries(pdus.map((p) => [p.event_id, {}])) });

describe("runs of plain messages on a warm write cache", () => {
  it("are stored by one guarded statement, in order, and leave the cache warm", async () => {
    const { roomId, send, chain, warm } = await setup();
    const flushes = watchFlushes();
    const run = await chain(warm, ["one", "two", "three"]);
    expect(await send(run)).toEqual(answered(run));
    expect(flushes).toEqual([{ guarded: true, written: true }]);

    const stored = await getEvents(
      hs.ctx.db,
      run.map((e) => e.event_id),
    );
    const orderings = run.map((e) => stored.get(e.event_id)!.streamOrdering!);
    expect([...orderings].sort((a, b) => a - b)).toEqual(orderings);
    expect(run.every((e) => stored.get(e.event_id)!.stateGroupAfter !== null)).toBe(true);
    expect(await extremities(roomId)).toEqual([run[2]!.event_id]);

    // The next run takes the same way, and a local event builds on the last one.
    const next = await chain(run[2]!, ["four"]);
    expect(await send(next)).toEqual(answered(next));
    expect(flushes).toHaveLength(2);
    expect(flushes[1]).toEqual({ guarded: true, written: true });
    const local = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: msg("after") });
    expect((await getEvent(hs.ctx.db, local.eventId))!.pdu.prev_events).toEqual([next[0]!.event_id]);
  });

  it("go through the locked path when another writer moved the room on since the cache was made", async () => {
    const { roomId, send, chain, warm } = await setup();
    // A write the cache never saw (as from another process): the stale entry is put back afterwards.
    const stale = hs.ctx.rooms.writeCache.take(roomId)!;
    const local = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: msg("elsewhere") });
    hs.ctx.rooms.writeCache.take(roomId);
    hs.ctx.rooms.writeCache.put(roomId, stale);

    const flushes = watchFlushes();
    const run = await chain(warm, ["built before seeing it"]);
    expect(await send(run)).toEqual(answered(run));
    expect(flushes[0]).toEqual({ guarded: true, written: false });
    expect(flushes.slice(1).every((f) => !f.guarded)).toBe(true);
    // Stored as a fork beside the event it did not see.
    expect((await getEvent(hs.ctx.db, run[0]!.event_id))?.rejectedReason).toBeNull();
    expect(await extremities(roomId)).toEqual([local.eventId, run[0]!.event_id].sort());
  });

  it("answer an event stored since as known, storing nothing twice", async () => {
    const { roomId, send, chain, warm } = await setup();
    const stale = hs.ctx.rooms.writeCache.take(roomId)!;
    hs.ctx.rooms.writeCache.put(roomId, stale);
    const [m1] = await chain(warm, ["once"]);
    expect(await send([m1!])).toEqual(answered([m1!]));
    // The cache from before m1: the run looks like it extends it.
    hs.ctx.rooms.writeCache.take(roomId);
    hs.ctx.rooms.writeCache.put(roomId, stale);

    const flushes = watchFlushes();
    expect(await send([m1!])).toEqual(answered([m1!]));
    expect(flushes[0]).toEqual({ guarded: true, written: false });
    const rows = await hs.ctx.db
      .selectFrom("events")
      .select("event_id")
      .where("event_id", "=", m1!.event_id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(await extremities(roomId)).toEqual([m1!.event_id]);
  });

  it("store an event known before only as an outlier through the locked path, with its state", async () => {
    const { roomId, send, chain, warm, remote } = await setup();
    const [m1] = await chain(warm, ["seen as an outlier first"]);
    // Storing outliers drops the cache; it still describes the room, so it goes back.
    const cached = hs.ctx.rooms.writeCache.take(roomId)!;
    await storeOutliers(hs.ctx, roomId, remote.version, [{ event: m1! }]);
    hs.ctx.rooms.writeCache.put(roomId, cached);
    expect((await getEvent(hs.ctx.db, m1!.event_id))?.outlier).toBe(true);

    const flushes = watchFlushes();
    expect(await send([m1!])).toEqual(answered([m1!]));
    // The cache still matched the room; only the stored outlier made the guard fail.
    expect(flushes[0]).toEqual({ guarded: true, written: false });
    const stored = await getEvent(hs.ctx.db, m1!.event_id);
    expect(stored?.outlier).toBe(false);
    expect(stored?.stateGroupAfter).not.toBeNull();
    expect(await extremities(roomId)).toEqual([m1!.event_id]);
  });

  it("wait for the room's lock when another connection holds it, then are stored", async () => {
    const { roomId, send, chain, warm } = await setup();
    const other = new pg.Client({ connectionString: hs.ctx.config.database.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(
        `SELECT pg_advisory_xact_lock(${roomLockKey(hs.ctx.config.database.schema, roomId).toString()})`,
      );
      const flushes = watchFlushes();
      const run = await chain(warm, ["while locked"]);
      const answer = send(run);
      // The guarded statement could not take the lock; the locked path now waits for it.
      await vi.waitFor(() => expect(flushes[0]).toEqual({ guarded: true, written: false }));
      await other.query("COMMIT");
      expect(await answer).toEqual(answered(run));
      expect(await extremities(roomId)).toEqual([run[0]!.event_id]);
    } finally {
      await other.end();
    }
  });

  it("with an event that fails auth, are judged by the locked path: it is rejected, the rest stored", async () => {
    const { roomId, send, chain, warm } = await setup();
    const flushes = watchFlushes();
    const [good] = await chain(warm, ["fine"]);
    // Mallory never joined: her message fails the auth rules.
    const [bad] = await chain(good!, ["not a member"], mallory);
    const answer = await send([good!, bad!]);
    expect((answer.pdus as Record<string, unknown>)[good!.event_id]).toEqual({});
    expect((answer.pdus as Record<string, { error?: string }>)[bad!.event_id]?.error).toMatch(/rejected/);
    expect(flushes.every((f) => !f.guarded)).toBe(true);
    expect((await getEvent(hs.ctx.db, bad!.event_id))?.rejectedReason).not.toBeNull();
    expect(await extremities(roomId)).toEqual([good!.event_id]);
  });
});
