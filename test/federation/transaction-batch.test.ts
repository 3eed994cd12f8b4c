import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { getEvent, getEvents } from "../../src/storage/rooms/events.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { currentState } from "../rooms/helpers.ts";
import { pduSender, roomWithRemoteMember } from "./inbound-fakes.ts";

/*
 * A transaction's PDUs of one room are stored in one room write: each must be judged exactly as if
 * it had come alone, events of the same transaction may build on (and cite as auth) each other, and
 * anything the run cannot decide goes through the one-by-one path with its gap filled.
 */
let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver({ server_name: "hs1.test" });
});
afterAll(() => hs?.destroy());

const alice = "@alice:hs1.test";
const bob = "@bob:hs2.test";
const carol = "@carol:hs2.test";
const msg = (body: string) => ({ type: "m.room.message", content: { msgtype: "m.text", body } });

async function setup() {
  const { remote, peers, roomId } = await roomWithRemoteMember(hs.ctx, { creator: alice, member: bob });
  const send = pduSender(hs.ctx, remote, peers);
  /**
   * The auth events a v12 event of `sender` cites (the create event is implied by the room id), from
   * current state plus `extra` (events of the same transaction).
   */
  const authFor = async (sender: string, extra: IdentifiedPdu[] = []): Promise<IdentifiedPdu[]> => {
    const state = await currentState(hs.ctx, roomId);
    const ids = [state.get(stateTupleKey("m.room.power_levels", ""))!];
    const member = state.get(stateTupleKey("m.room.member", sender));
    if (member) ids.push(member);
    const events = await getEvents(hs.ctx.db, ids);
    return [...ids.map((id) => events.get(id)!.pdu), ...extra];
  };
  return { remote, roomId, send, authFor };
}

async function extremities(roomId: string): Promise<string[]> {
  return (await getForwardExtremities(hs.ctx.db, roomId)).map((e) => e.eventId);
}

describe("a transaction's PDUs of one room, stored together", () => {
  it("stores a chain in order, with a join and its member's message citing it, and leaves the room writable", async () => {
    const { remote, roomId, send, authFor } = await setup();
    const m1 = await remote.build(hs.ctx, roomId, bob, msg("one"));
    const m2 = await remote.build(hs.ctx, roomId, bob, msg("two"), { prev: [m1] });
    const joinCarol = await remote.build(
      hs.ctx,
      roomId,
      carol,
      { type: "m.room.member", stateKey: carol, content: { membership: "join" } },
      { prev: [m2] },
    );
    const m3 = await remote.build(hs.ctx, roomId, carol, msg("three"), {
      prev: [joinCarol],
      auth: await authFor(carol, [joinCarol]),
    });
    const answer = await send([m1, m2, joinCarol, m3]);
    expect(answer).toEqual({
      pdus: { [m1.event_id]: {}, [m2.event_id]: {}, [joinCarol.event_id]: {}, [m3.event_id]: {} },
    });

    const stored = await getEvents(
      hs.ctx.db,
      [m1, m2, joinCarol, m3].map((e) => e.event_id),
    );
    const orderings = [m1, m2, joinCarol, m3].map((e) => stored.get(e.event_id)!.streamOrdering!);
    expect([...orderings].sort((a, b) => a - b)).toEqual(orderings);
    expect(new Set(orderings).size).toBe(4);
    expect(await extremities(roomId)).toEqual([m3.event_id]);
    expect((await currentState(hs.ctx, roomId)).get(stateTupleKey("m.room.member", carol))).toBe(
      joinCarol.event_id,
    );

    // The next local event builds on what the run left (its cached view of the room included).
    const local = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: msg("after") });
    expect((await getEvent(hs.ctx.db, local.eventId))!.pdu.prev_events).toEqual([m3.event_id]);
    expect(await extremities(roomId)).toEqual([local.eventId]);
  });

  it("rejects one PDU of a run on its own and goes on with the rest", async () => {
    const { remote, roomId, send } = await setup();
    const m1 = await remote.build(hs.ctx, roomId, bob, msg("before"));
    // Bob lacks the power to rename the room.
    const rename = await remote.build(
      hs.ctx,
      roomId,
      bob,
      { type: "m.room.name", stateKey: "", content: { name: "bob's" } },
      { prev: [m1] },
    );
    const m2 = await remote.build(hs.ctx, roomId, bob, msg("after"), { prev: [m1] });
    const answer = await send([m1, rename, m2]);
    expect(answer.pdus).toMatchObject({ [m1.event_id]: {}, [m2.event_id]: {} });
    expect((answer.pdus as Record<string, { error?: string }>)[rename.event_id]?.error).toMatch(/rejected/);
    expect((await currentState(hs.ctx, roomId)).has(stateTupleKey("m.room.name", ""))).toBe(false);
    expect((await getEvent(hs.ctx.db, rename.event_id))?.rejectedReason).not.toBeNull();
    expect(await extremities(roomId)).toEqual([m2.event_id]);
  });

  it("fills the gap before a PDU whose prev event it lacks, after storing the run before it", async () => {
    const { remote, roomId, send } = await setup();
    const m1 = await remote.build(hs.ctx, roomId, bob, msg("first"));
    const unseen = await remote.build(hs.ctx, roomId, bob, msg("never sent"), { prev: [m1] });
    const m2 = await remote.build(hs.ctx, roomId, bob, msg("after the gap"), { prev: [unseen] });
    remote.missingEvents = [unseen];
    const answer = await send([m1, m2]);
    expect(answer).toEqual({ pdus: { [m1.event_id]: {}, [m2.event_id]: {} } });
    expect((await getEvent(hs.ctx.db, unseen.event_id))?.outlier).toBe(false);
    expect(await extremities(roomId)).toEqual([m2.event_id]);
  });

  it("answers a PDU repeated in one transaction, or already stored, as known", async () => {
    const { remote, roomId, send } = await setup();
    const m1 = await remote.build(hs.ctx, roomId, bob, msg("once"));
    expect(await send([m1, m1])).toEqual({ pdus: { [m1.event_id]: {} } });
    const m2 = await remote.build(hs.ctx, roomId, bob, msg("twice"), { prev: [m1] });
    expect(await send([m1, m2])).toEqual({ pdus: { [m1.event_id]: {}, [m2.event_id]: {} } });
    expect(await extremities(roomId)).toEqual([m2.event_id]);
  });

  it("stores a child sent before its parent in the same transaction", async () => {
    const { remote, roomId, send } = await setup();
    const parent = await remote.build(hs.ctx, roomId, bob, msg("parent"));
    const child = await remote.build(hs.ctx, roomId, bob, msg("child"), { prev: [parent] });
    expect(await send([child, parent])).toEqual({ pdus: { [child.event_id]: {}, [parent.event_id]: {} } });
    expect(await extremities(roomId)).toEqual([child.event_id]);
  });

  it("applies a redaction to a message of the same transaction, whichever comes first", async () => {
    const { remote, roomId, send } = await setup();
    const redact = (target: IdentifiedPdu, prev: IdentifiedPdu[]) =>
      remote.build(
        hs.ctx,
        roomId,
        bob,
        { type: "m.room.redaction", content: { redacts: target.event_id } },
        prev.length > 0 ? { prev } : {},
      );
    const m1 = await remote.build(hs.ctx, roomId, bob, msg("oops"));
    const r1 = await redact(m1, [m1]);
    const m2 = await remote.build(hs.ctx, roomId, bob, msg("again"), { prev: [r1] });
    // A redaction built beside its target, arriving first.
    const r2 = await redact(m2, [r1]);
    const answer = await send([m1, r1, r2, m2]);
    expect(Object.values(answer.pdus as object)).toEqual([{}, {}, {}, {}]);
    for (const [target, by] of [
      [m1, r1],
      [m2, r2],
    ] as const) {
      const stored = await getEvent(hs.ctx.db, target.event_id);
      expect(stored?.redactedBy).toBe(by.event_id);
      expect(stored?.pdu.content).toEqual({});
    }
  });

  it("judges the PDUs after an ACL event of the same transaction by the ACL it set", async () => {
    const { remote, roomId, send } = await setup();
    await sendLocalEvent(hs.ctx, {
      roomId,
      sender: alice,
      draft: {
        type: "m.room.power_levels",
        stateKey: "",
        // The creator's power is implied in v12.
        content: { users: { [bob]: 100 } },
      },
    });
    const acl = await remote.build(hs.ctx, roomId, bob, {
      type: "m.room.server_acl",
      stateKey: "",
      content: { allow: ["*"], deny: ["hs2.test"] },
    });
    const m = await remote.build(hs.ctx, roomId, bob, msg("too late"), { prev: [acl] });
    const answer = await send([acl, m]);
    expect(answer).toEqual({
      pdus: { [acl.event_id]: {}, [m.event_id]: { error: "server is banned by the room's ACL" } },
    });
    expect(await getEvent(hs.ctx.db, m.event_id)).toBeUndefined();
  });
});
