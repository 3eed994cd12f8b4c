import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateTupleKey, type StateTupleKey } from "../../src/core/state-key.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { getEvent } from "../../src/storage/rooms/events.ts";
import { loadStateGroups, loadStateGroupsOver } from "../../src/storage/rooms/state-groups.ts";
import { lookupStateEntries, lookupStateEvents } from "../../src/storage/rooms/state-lookup.ts";
import { StateGroupCache } from "../../src/sync/state-group-cache.ts";
import { StateGroups } from "../../src/sync/room-state.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { makeRoom } from "../rooms/helpers.ts";

const state = (n: number, prefix = "k"): Map<StateTupleKey, string> =>
  new Map(Array.from({ length: n }, (_, i) => [stateTupleKey("t", `${prefix}${i}`), `$e${i}`]));

let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver({ server_name: "hs1.test" });
});
afterAll(() => hs?.destroy());

const alice = "@alice:hs1.test";

/** Sets the room's topic; the state group after that event. */
async function setTopic(roomId: string, topic: string): Promise<number> {
  const { eventId } = await sendLocalEvent(hs.ctx, {
    roomId,
    sender: alice,
    draft: { type: "m.room.topic", stateKey: "", content: { topic } },
  });
  return (await getEvent(hs.ctx.db, eventId))!.stateGroupAfter!;
}

describe("StateGroupCache", () => {
  it("keeps at most its budget of entries, least recently used out first", () => {
    const cache = new StateGroupCache(10);
    cache.set(1, state(4));
    cache.set(2, state(4));
    expect(cache.get(1)?.size).toBe(4); // 1 is now the most recently used
    cache.set(3, state(4));
    expect(cache.get(2)).toBeUndefined();
    expect(cache.get(1)).toBeDefined();
    expect(cache.get(3)).toBeDefined();
    // A state over the whole budget is not kept (it would only push everything else out).
    cache.set(4, state(11));
    expect(cache.get(4)).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});

describe("state groups loaded over cached ones", () => {
  it("walks a delta chain only down to a known group and gives the same state as a full load", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    const groups: number[] = [];
    for (const topic of ["one", "two", "three", "four"]) groups.push(await setTopic(roomId, topic));
    const full = await loadStateGroups(hs.ctx.db, groups);
    const [first, , third, last] = groups as [number, number, number, number];

    const over = await loadStateGroupsOver(hs.ctx.db, [third, last], new Map([[first, full.get(first)!]]));
    for (const id of [third, last]) {
      const { base, entries } = over.get(id)!;
      expect(base).toBe(first);
      // Only the topic changed since `first`: nothing below it was read.
      expect([...entries.keys()]).toEqual([stateTupleKey("m.room.topic", "")]);
      const rebuilt = new Map(full.get(first));
      for (const [k, v] of entries) if (v !== null) rebuilt.set(k, v);
      expect(rebuilt).toEqual(full.get(id));
    }

    // Through a sync's loader: the cache fills, and a later group is built on a cached one.
    const loader = new StateGroups(hs.ctx);
    expect(await loader.load(first)).toEqual(full.get(first));
    expect(hs.ctx.sync.stateGroups.get(first)).toEqual(full.get(first));
    expect(await new StateGroups(hs.ctx).load(last)).toEqual(full.get(last));
    expect(hs.ctx.sync.stateGroups.get(last)).toEqual(full.get(last));
  });
});

describe("state entries looked up across delta chains", () => {
  it("answers each group as its full state does, for a few keys and for many, with the events", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    // Groups sharing one chain: each topic change is a delta on the one before.
    const groups: number[] = [];
    for (const [i, topic] of ["a", "b", "c"].entries()) {
      groups.push(await setTopic(roomId, topic));
      await sendLocalEvent(hs.ctx, {
        roomId,
        sender: alice,
        draft: { type: `org.example.s${i}`, stateKey: "", content: { i } },
      });
    }
    const full = await loadStateGroups(hs.ctx.db, groups);
    const few = [
      { type: "m.room.topic", stateKey: "" },
      { type: "m.room.member", stateKey: alice },
      { type: "m.room.name", stateKey: "" }, // never set
    ];
    const many = [
      ...few,
      ...Array.from({ length: 10 }, (_, i) => ({ type: `org.example.s${i}`, stateKey: "" })),
      { type: "m.room.join_rules", stateKey: "" },
    ];
    for (const keys of [few, many]) {
      const expected = (g: number) =>
        new Map(
          keys.flatMap((k) => {
            const id = full.get(g)!.get(stateTupleKey(k.type, k.stateKey));
            return id === undefined ? [] : [[stateTupleKey(k.type, k.stateKey), id] as const];
          }),
        );
      const entries = await lookupStateEntries(hs.ctx.db, groups, keys);
      const events = await lookupStateEvents(hs.ctx.db, groups, keys);
      for (const g of groups) {
        expect(entries.get(g)).toEqual(expected(g));
        expect(new Map([...events.get(g)!].map(([k, ev]) => [k, ev.eventId]))).toEqual(expected(g));
        for (const ev of events.get(g)!.values()) expect(ev.pdu.event_id).toBe(ev.eventId);
      }
    }
    // Each group saw the topic of its own time.
    const topics = await lookupStateEvents(hs.ctx.db, groups, [few[0]!]);
    expect(
      groups.map((g) => topics.get(g)!.get(stateTupleKey("m.room.topic", ""))!.pdu.content.topic),
    ).toEqual(["a", "b", "c"]);
  });
});
