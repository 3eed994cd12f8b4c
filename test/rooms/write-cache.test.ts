import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authTypesForEvent } from "../../src/core/auth-rules.ts";
import { prevEventIds } from "../../src/core/pdu.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import { MatrixError } from "../../src/errors.ts";
import { buildEvent, type EventDraft } from "../../src/rooms/build-event.ts";
import { updateMembership } from "../../src/rooms/membership.ts";
import { persistEvent } from "../../src/rooms/persist-event.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { computeStateBefore } from "../../src/rooms/state-before.ts";
import type { Db } from "../../src/storage/database.ts";
import { getEvents } from "../../src/storage/rooms/events.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import {
  beginRoomWrite,
  commitRoomWrite,
  rollbackRoomWrite,
  roomLockKey,
} from "../../src/storage/rooms/room-lock.ts";
import { loadStateGroup } from "../../src/storage/rooms/state-groups.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { currentState, makeRoom, stateAfterExtremity, version } from "./helpers.ts";

let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());

const alice = "@alice:hearth.test";
const bob = "@bob:hearth.test";
const message = (body: string) => ({ type: "m.room.message", content: { msgtype: "m.text", body } });

/**
 * Stores an event on the room's extremity the way another process sharing the database would: its own
 * transaction, straight through persistEvent, so this instance's write cache never hears of it.
 */
async function writeFromAnotherProcess(roomId: string, draft: EventDraft, sender = alice): Promise<string> {
  return hs.ctx.db.transaction().execute((tx) => writeFromAnotherProcessOn(tx, roomId, draft, sender));
}

async function writeFromAnotherProcessOn(
  db: Db,
  roomId: string,
  draft: EventDraft,
  sender = alice,
): Promise<string> {
  const [extremity] = await getForwardExtremities(db, roomId);
  const prev = (await getEvents(db, [extremity!.eventId])).get(extremity!.eventId)!;
  const state = await loadStateGroup(db, prev.stateGroupAfter!);
  const keys = authTypesForEvent(version("12"), { ...draft, sender, state_key: draft.stateKey }).map(
    ([t, k]) => stateTupleKey(t, k),
  );
  const authIds = keys.map((k) => state.get(k)).filter((id): id is string => id !== undefined);
  const auth = await getEvents(db, authIds);
  const event = buildEvent({
    version: version("12"),
    roomId,
    sender,
    draft,
    prevEvents: [prev.pdu],
    authEvents: authIds.map((id) => auth.get(id)!.pdu),
    originServerTs: hs.ctx.clock(),
    serverName: "hearth.test",
    key: hs.ctx.keys.current,
  });
  const position = hs.ctx.streams.events.allocate();
  try {
    const before = await computeStateBefore(db, roomId, version("12"), [prev.eventId], [prev.eventId]);
    await persistEvent(db, {
      roomId,
      version: version("12"),
      event,
      before,
      streamOrdering: position,
      fresh: true,
      now: hs.ctx.clock(),
    });
  } finally {
    hs.ctx.streams.events.complete(position);
  }
  return event.event_id;
}

describe("the writer's per-room cache", () => {
  it("is kept after plain sends and state changes, and the state it serves stays current", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await updateMembership(hs.ctx, { roomId, sender: bob, target: bob, action: "join" });
    await sendLocalEvent(hs.ctx, { roomId, sender: bob, draft: message("one") });
    expect(hs.ctx.rooms.writeCache.size).toBeGreaterThan(0);
    // A state change through the writer updates the cached entry: bob may no longer send messages.
    await sendLocalEvent(hs.ctx, {
      roomId,
      sender: alice,
      draft: { type: "m.room.power_levels", stateKey: "", content: { events_default: 50, users: {} } },
    });
    const err = await sendLocalEvent(hs.ctx, { roomId, sender: bob, draft: message("two") }).catch(
      (e: unknown) => e,
    );
    expect((err as MatrixError).status).toBe(403);
    expect(await stateAfterExtremity(hs.ctx, roomId)).toEqual(await currentState(hs.ctx, roomId));
  });

  it("notices a write by another process: builds on its event and judges by its state", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await updateMembership(hs.ctx, { roomId, sender: bob, target: bob, action: "join" });
    await sendLocalEvent(hs.ctx, { roomId, sender: bob, draft: message("cached") });

    const foreign = await writeFromAnotherProcess(roomId, message("elsewhere") as EventDraft);
    const next = await sendLocalEvent(hs.ctx, { roomId, sender: bob, draft: message("after") });
    const stored = (await getEvents(hs.ctx.db, [next.eventId])).get(next.eventId)!;
    expect(prevEventIds(stored.pdu)).toEqual([foreign]);

    await writeFromAnotherProcess(roomId, {
      type: "m.room.power_levels",
      stateKey: "",
      content: { events_default: 50, users: {} },
    });
    const err = await sendLocalEvent(hs.ctx, { roomId, sender: bob, draft: message("refused") }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).status).toBe(403);
  });

  it("a refusal by stale cached state is decided again on fresh state", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { preset: "public_chat" });
    await updateMembership(hs.ctx, { roomId, sender: bob, target: bob, action: "join" });
    await sendLocalEvent(hs.ctx, {
      roomId,
      sender: alice,
      draft: { type: "m.room.power_levels", stateKey: "", content: { events_default: 50, users: {} } },
    });
    // Cached now: bob may not send. Another process lets him.
    await writeFromAnotherProcess(roomId, {
      type: "m.room.power_levels",
      stateKey: "",
      content: { events_default: 0, users: {} },
    });
    const sent = await sendLocalEvent(hs.ctx, { roomId, sender: bob, draft: message("allowed now") });
    expect(sent.created).toBe(true);
  });

  it("a retried transaction is answered from the database, cached room or not", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    const txn = {
      scope: { userId: alice, deviceId: "D", endpoint: `send/${roomId}/m.room.message`, txnId: "t1" },
      requestHash: Buffer.from("h"),
    };
    const first = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message("x"), txn });
    const again = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message("x"), txn });
    expect(again).toEqual({ eventId: first.eventId, created: false });
    const later = await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message("y") });
    const stored = (await getEvents(hs.ctx.db, [later.eventId])).get(later.eventId)!;
    expect(prevEventIds(stored.pdu)).toEqual([first.eventId]);
  });

  it("a plain message written on its own waits for a room lock another process holds, then builds on its write", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice);
    await sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message("cached") });
    const key = roomLockKey(hs.ctx.config.database.schema, roomId).toString();
    let sent: Promise<unknown> | undefined;
    let other = "";
    await hs.ctx.db.connection().execute(async (conn) => {
      await beginRoomWrite(conn, hs.ctx.config.database.schema, roomId);
      try {
        sent = sendLocalEvent(hs.ctx, { roomId, sender: alice, draft: message("waits") });
        // The single statement's try-lock fails; the send falls back to waiting for the lock.
        for (;;) {
          const { rows } = await sql<{ n: string }>`
            SELECT count(*) AS n FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted
              AND ((classid::bigint << 32) | objid::bigint) = (${key}::bigint & x'ffffffffffffffff'::bigint)
          `.execute(hs.ctx.db);
          if (Number(rows[0]!.n) > 0) break;
          await new Promise((r) => setImmediate(r));
        }
        other = await writeFromAnotherProcessOn(conn, roomId, message("other process"));
        await commitRoomWrite(conn);
      } catch (e) {
        await rollbackRoomWrite(conn);
        throw e;
      }
    });
    const { eventId } = (await sent) as { eventId: string };
    const stored = (await getEvents(hs.ctx.db, [eventId])).get(eventId)!;
    expect(prevEventIds(stored.pdu)).toEqual([other]);
    expect((await getForwardExtremities(hs.ctx.db, roomId)).map((e) => e.eventId)).toEqual([eventId]);
  });
});
