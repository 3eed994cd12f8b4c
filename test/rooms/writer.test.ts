import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authTypesForEvent } from "../../src/core/auth-rules.ts";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import { prevEventIds } from "../../src/core/pdu.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import { MatrixError } from "../../src/errors.ts";
import { buildEvent, type EventDraft } from "../../src/rooms/build-event.ts";
import { updateMembership } from "../../src/rooms/membership.ts";
import { persistEvent } from "../../src/rooms/persist-event.ts";
import { withRoomWrite } from "../../src/rooms/room-write.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { computeStateBefore } from "../../src/rooms/state-before.ts";
import { MAX_DELTA_DEPTH } from "../../src/rooms/state-group-policy.ts";
import type { StreamChange } from "../../src/sync/notifier.ts";
import { getEvents } from "../../src/storage/rooms/events.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import { getRoomMembers } from "../../src/storage/rooms/memberships.ts";
import { loadStateGroup } from "../../src/storage/rooms/state-groups.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { currentState, makeRoom, roomEvents, stateAfterExtremity, version } from "./helpers.ts";

let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());

const alice = "@alice:hearth.test";
const bob = "@bob:hearth.test";
const message = (body: string) => ({ type: "m.room.message", content: { msgtype: "m.text", body } });

describe("sending local events", () => {
  it("chains events: prev = the single extremity, depth + 1, rising stream positions", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message(`m${i}`) })).eventId);
    }
    const events = await roomEvents(hs.ctx, roomId);
    const tail = events.slice(-3);
    expect(tail.map((e) => e.eventId)).toEqual(ids);
    for (const [i, ev] of tail.entries()) {
      const prev = events[events.length - 3 + i - 1]!;
      expect(prevEventIds(ev.pdu)).toEqual([prev.eventId]);
      expect(ev.pdu.depth).toBe(prev.pdu.depth + 1);
      expect(ev.streamOrdering).toBeGreaterThan(prev.streamOrdering!);
      // A message does not change state: the same group before and after.
      expect(ev.stateGroupAfter).toBe(ev.stateGroupBefore);
      expect(ev.stateGroupBefore).toBe(prev.stateGroupAfter);
    }
    expect((await getForwardExtremities(hs.ctx.db, roomId)).map((e) => e.eventId)).toEqual([ids[2]]);
  });

  it("refuses what the auth rules refuse: 403 M_FORBIDDEN with the rules' reason, nothing stored", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const before = (await roomEvents(hs.ctx, roomId)).length;
    const err = await sendLocalEvent(hs.ctx, { roomId, sender: bob, draft: message("hi") }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).status).toBe(403);
    expect((err as MatrixError).errcode).toBe("M_FORBIDDEN");
    expect((err as MatrixError).message).toMatch(/not joined/);
    expect(await roomEvents(hs.ctx, roomId)).toHaveLength(before);
  });

  it("an unknown room is 404 M_NOT_FOUND", async () => {
    const err = await sendLocalEvent(hs.ctx, {
      roomId: "!nope:hearth.test",
      sender: alice,
      draft: message("x"),
    }).catch((e: unknown) => e);
    expect((err as MatrixError).errcode).toBe("M_NOT_FOUND");
  });

  it("wakes sync after commit with a position every earlier write has reached", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const seen: StreamChange[] = [];
    const stop = hs.ctx.notifier.subscribe((c) => seen.push(c));
    try {
      await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message("wake") });
    } finally {
      stop();
    }
    const [last] = (await roomEvents(hs.ctx, roomId)).slice(-1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ stream: "events", roomIds: [roomId], userIds: [alice] });
    expect(seen[0]!.position).toBeGreaterThanOrEqual(last!.streamOrdering!);
    expect(hs.ctx.streams.events.persistedUpTo).toBeGreaterThanOrEqual(last!.streamOrdering!);
  });
});

describe("concurrency", () => {
  it("concurrent sends by several users are all stored, in one chain, with unique positions", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    const users = ["@u1:hearth.test", "@u2:hearth.test", "@u3:hearth.test", "@u4:hearth.test"];
    await Promise.all(
      users.map((u) => updateMembership(hs.ctx, { roomId, sender: u, target: u, action: "join" })),
    );
    const senders = [alice, ...users];
    const sends = Array.from({ length: 60 }, (_, i) =>
      sendLocalEvent(hs.ctx, { roomId, sender: senders[i % senders.length]!, draft: message(`c${i}`) }),
    );
    const ids = (await Promise.all(sends)).map((r) => r.eventId);
    expect(new Set(ids).size).toBe(60);

    const events = await roomEvents(hs.ctx, roomId);
    const positions = events.map((e) => e.streamOrdering);
    expect(new Set(positions).size).toBe(events.length);
    for (let i = 1; i < events.length; i++) {
      expect(prevEventIds(events[i]!.pdu)).toEqual([events[i - 1]!.eventId]);
      expect(events[i]!.pdu.depth).toBe(i + 1);
    }
    expect(await getForwardExtremities(hs.ctx.db, roomId)).toHaveLength(1);
    expect((await getRoomMembers(hs.ctx.db, roomId, ["join"])).map((m) => m.userId).sort()).toEqual(
      [...senders].sort(),
    );
    expect(hs.ctx.rooms.locks.size).toBe(0);
  });

  it("concurrent sends into different rooms interleave without losing a position", async () => {
    const rooms = await Promise.all([makeRoom(hs.ctx, alice), makeRoom(hs.ctx, bob)]);
    const senders = [alice, bob];
    const sends = Array.from({ length: 40 }, (_, i) =>
      sendLocalEvent(hs.ctx, {
        roomId: rooms[i % 2]!.roomId,
        sender: senders[i % 2]!,
        draft: message(`r${i}`),
      }),
    );
    await Promise.all(sends);
    expect(hs.ctx.streams.events.persistedUpTo).toBe(hs.ctx.streams.events.lastAllocated);
    for (const { roomId } of rooms) expect(await getForwardExtremities(hs.ctx.db, roomId)).toHaveLength(1);
  });
});

describe("state storage", () => {
  it("state groups rebuild the same state as current_state after many changes (deltas and snapshots)", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { version: version("11") });
    const expected = await currentState(hs.ctx, roomId);
    for (let i = 0; i < MAX_DELTA_DEPTH * 2 + 15; i++) {
      const draft: EventDraft =
        i % 3 === 0
          ? { type: "m.room.topic", stateKey: "", content: { topic: `t${i}` } }
          : { type: "org.example.counter", stateKey: `k${i % 7}`, content: { n: i } };
      const { eventId } = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft });
      expected.set(stateTupleKey(draft.type, draft.stateKey!), eventId);
      if (i % 10 === 0)
        await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message(`between ${i}`) });
    }
    expect(await currentState(hs.ctx, roomId)).toEqual(expected);
    expect(await stateAfterExtremity(hs.ctx, roomId)).toEqual(expected);

    // Every event's before/after groups: after = before + the event's own entry.
    for (const ev of await roomEvents(hs.ctx, roomId)) {
      if (ev.pdu.type === "m.room.create") continue;
      const before = await loadStateGroup(hs.ctx.db, ev.stateGroupBefore!);
      const after = await loadStateGroup(hs.ctx.db, ev.stateGroupAfter!);
      if (typeof ev.pdu.state_key === "string")
        before.set(stateTupleKey(ev.pdu.type, ev.pdu.state_key), ev.eventId);
      expect(after).toEqual(before);
    }
    const groups = await hs.ctx.db
      .selectFrom("state_groups")
      .select(["id", "prev_group", "delta_depth"])
      .where("room_id", "=", roomId)
      .execute();
    expect(Math.max(...groups.map((g) => Number(g.delta_depth)))).toBeLessThanOrEqual(MAX_DELTA_DEPTH);
    // The create event's empty group, plus at least two snapshots forced by the depth limit.
    expect(groups.filter((g) => g.prev_group === null).length).toBeGreaterThanOrEqual(3);
  });

  it("same content from the same sender is deduplicated when asked", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const draft = { type: "m.room.topic", stateKey: "", content: { topic: "same" } };
    const first = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft, dedupeState: true });
    const second = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft, dedupeState: true });
    expect(second).toEqual({ eventId: first.eventId, created: false });
    const third = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft, dedupeState: false });
    expect(third.created).toBe(true);
  });
});

/** Stores `event` the way federation will: prev events given, state computed from them. */
async function persistRemoteStyle(roomId: string, event: IdentifiedPdu): Promise<void> {
  await withRoomWrite(hs.ctx, roomId, async (tx, position) => {
    const extremities = (await getForwardExtremities(tx, roomId)).map((e) => e.eventId);
    const before = await computeStateBefore(tx, roomId, version("12"), prevEventIds(event), extremities);
    await persistEvent(tx, {
      roomId,
      version: version("12"),
      event,
      before,
      streamOrdering: position,
      now: hs.ctx.clock(),
    });
    return { value: undefined, notify: { userIds: [] } };
  });
}

/** A signed event by alice on `prev`, auth events taken from the state after `prev`. */
async function forkEvent(roomId: string, prev: string, draft: EventDraft, sender = alice) {
  const prevEvent = (await getEvents(hs.ctx.db, [prev])).get(prev)!;
  const state = await loadStateGroup(hs.ctx.db, prevEvent.stateGroupAfter!);
  const keys = authTypesForEvent(version("12"), { ...draft, sender, state_key: draft.stateKey }).map(
    ([t, k]) => stateTupleKey(t, k),
  );
  const authIds = keys.map((k) => state.get(k)).filter((id): id is string => id !== undefined);
  const auth = await getEvents(hs.ctx.db, authIds);
  return buildEvent({
    version: version("12"),
    roomId,
    sender,
    draft,
    prevEvents: [prevEvent.pdu],
    authEvents: authIds.map((id) => auth.get(id)!.pdu),
    originServerTs: hs.ctx.clock(),
    // Signatures are not checked when storing; the sender's server name is what the rules look at.
    serverName: sender.slice(sender.indexOf(":") + 1),
    key: hs.ctx.keys.current,
  });
}

const lastEventId = async (roomId: string) => (await getForwardExtremities(hs.ctx.db, roomId))[0]!.eventId;

describe("forks (several forward extremities)", () => {
  it("resolves state across extremities and merges them with the next local event", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const [base] = await getForwardExtremities(hs.ctx.db, roomId);
    const a = await forkEvent(roomId, base!.eventId, {
      type: "m.room.topic",
      stateKey: "",
      content: { topic: "a" },
    });
    const b = await forkEvent(roomId, base!.eventId, {
      type: "m.room.name",
      stateKey: "",
      content: { name: "b" },
    });
    await persistRemoteStyle(roomId, a);
    await persistRemoteStyle(roomId, b);

    const extremities = (await getForwardExtremities(hs.ctx.db, roomId)).map((e) => e.eventId).sort();
    expect(extremities).toEqual([a.event_id, b.event_id].sort());
    const state = await currentState(hs.ctx, roomId);
    expect(state.get(stateTupleKey("m.room.topic", ""))).toBe(a.event_id);
    expect(state.get(stateTupleKey("m.room.name", ""))).toBe(b.event_id);

    const merged = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message("merge") });
    const stored = (await getEvents(hs.ctx.db, [merged.eventId])).get(merged.eventId)!;
    expect(prevEventIds(stored.pdu).sort()).toEqual(extremities);
    expect(await getForwardExtremities(hs.ctx.db, roomId)).toHaveLength(1);
    expect(await loadStateGroup(hs.ctx.db, stored.stateGroupBefore!)).toEqual(state);
    expect(await currentState(hs.ctx, roomId)).toEqual(state);
  });

  it("conflicting forks resolve to one winner, and current state agrees with the state groups", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const [base] = await getForwardExtremities(hs.ctx.db, roomId);
    const a = await forkEvent(roomId, base!.eventId, {
      type: "m.room.name",
      stateKey: "",
      content: { name: "a" },
    });
    const b = await forkEvent(roomId, base!.eventId, {
      type: "m.room.name",
      stateKey: "",
      content: { name: "b" },
    });
    await persistRemoteStyle(roomId, a);
    await persistRemoteStyle(roomId, b);
    const winner = (await currentState(hs.ctx, roomId)).get(stateTupleKey("m.room.name", ""));
    expect([a.event_id, b.event_id]).toContain(winner);
    await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message("after") });
    expect(await stateAfterExtremity(hs.ctx, roomId)).toEqual(await currentState(hs.ctx, roomId));
  });
});

describe("events judged elsewhere (the federation path)", () => {
  it("a rejected event is stored without a position and changes neither state nor extremities", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const base = await lastEventId(roomId);
    const state = await currentState(hs.ctx, roomId);
    const event = await forkEvent(
      roomId,
      base,
      { type: "m.room.name", stateKey: "", content: { name: "x" } },
      bob,
    );
    await withRoomWrite(hs.ctx, roomId, async (tx, position) => {
      const before = await computeStateBefore(tx, roomId, version("12"), [base], [base]);
      await persistEvent(tx, {
        roomId,
        version: version("12"),
        event,
        before,
        streamOrdering: position,
        rejectedReason: "sender is not joined to the room",
        now: 0,
      });
      return { value: undefined };
    });
    const stored = (await getEvents(hs.ctx.db, [event.event_id])).get(event.event_id)!;
    expect(stored).toMatchObject({
      streamOrdering: null,
      rejectedReason: "sender is not joined to the room",
    });
    expect(stored.stateGroupAfter).toBe(stored.stateGroupBefore);
    expect(await lastEventId(roomId)).toBe(base);
    expect(await currentState(hs.ctx, roomId)).toEqual(state);
  });

  it("an outlier is stored without state and is no extremity", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const base = await lastEventId(roomId);
    const event = await forkEvent(roomId, base, message("outlier") as EventDraft);
    await withRoomWrite(hs.ctx, roomId, async (tx) => {
      await persistEvent(tx, {
        roomId,
        version: version("12"),
        event,
        before: undefined,
        streamOrdering: null,
        now: 0,
      });
      return { value: undefined };
    });
    const stored = (await getEvents(hs.ctx.db, [event.event_id])).get(event.event_id)!;
    expect(stored).toMatchObject({
      outlier: true,
      streamOrdering: null,
      stateGroupBefore: null,
      stateGroupAfter: null,
    });
    expect(await lastEventId(roomId)).toBe(base);
  });
});

describe("redactions from other servers", () => {
  const eve = "@eve:other.example";

  it("a redaction by a user of another server without the redact level is stored but not applied", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await persistRemoteStyle(
      roomId,
      await forkEvent(
        roomId,
        await lastEventId(roomId),
        { type: "m.room.member", stateKey: eve, content: { membership: "join" } },
        eve,
      ),
    );
    const { eventId: target } = await sendLocalEvent(hs.ctx, {
      roomId,
      sender: alice,
      draft: message("mine"),
    });
    const redaction = await forkEvent(
      roomId,
      target,
      { type: "m.room.redaction", content: { redacts: target } },
      eve,
    );
    await persistRemoteStyle(roomId, redaction);
    expect(
      (await getEvents(hs.ctx.db, [redaction.event_id])).get(redaction.event_id)?.rejectedReason,
    ).toBeNull();
    const stored = (await getEvents(hs.ctx.db, [target])).get(target)!;
    expect(stored.redactedBy).toBeNull();
    expect(stored.pdu.content.body).toBe("mine");
  });

  it("a redaction that arrives before its target is applied when the target is stored", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    const base = await lastEventId(roomId);
    const target = await forkEvent(roomId, base, message("late") as EventDraft);
    const redaction = await forkEvent(roomId, base, {
      type: "m.room.redaction",
      content: { redacts: target.event_id },
    });
    await persistRemoteStyle(roomId, redaction);
    await persistRemoteStyle(roomId, target);
    const stored = (await getEvents(hs.ctx.db, [target.event_id])).get(target.event_id)!;
    expect(stored.redactedBy).toBe(redaction.event_id);
    expect(stored.pdu.content).toEqual({});
    expect(stored.pdu.hashes).toBeDefined();
  });
});
