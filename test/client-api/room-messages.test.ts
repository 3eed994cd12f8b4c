import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { formatSyncToken, SYNC_STREAMS, type SyncToken } from "../../src/sync/tokens.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { roomDriver, text, type RoomDriver, startReadTestHomeserver } from "./room-driver.ts";
import { call, enc } from "./room-read-support.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let alice: Session;
let bob: Session;
let carol: Session;
let roomId: string;
const sent: string[] = [];

beforeAll(async () => {
  hs = await startReadTestHomeserver();
  rooms = roomDriver(hs);
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
  carol = await createTestUser(hs, "carol");
  roomId = await rooms.createRoom(alice, { preset: "public_chat", name: "Paging" });
  await rooms.member(bob, roomId, "join");
  for (let i = 0; i < 35; i++) {
    sent.push(await rooms.send(i % 2 ? bob : alice, roomId, text(`m${i}`)));
  }
});
afterAll(() => hs?.destroy());

const messages = (session: Session | undefined, query: string, room = roomId) =>
  call(hs, "GET", `/rooms/${enc(room)}/messages?${query}`, session);

async function pageAll(dir: "b" | "f", limit: number, extra = ""): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let from: string | undefined;
  let pages = 0;
  for (;;) {
    const res = await messages(alice, `dir=${dir}&limit=${limit}${from ? `&from=${enc(from)}` : ""}${extra}`);
    expect(res.status).toBe(200);
    expect(typeof res.body.start).toBe("string");
    if (from !== undefined) expect(res.body.start).toBe(from);
    ids.push(...res.body.chunk.map((e: { event_id: string }) => e.event_id));
    pages++;
    if (res.body.end === undefined) break;
    from = res.body.end;
    if (pages > 100) throw new Error("pagination does not end");
  }
  return { ids, pages };
}

describe("GET /rooms/{roomId}/messages", () => {
  it("pages backwards through the whole room: newest first, no duplicates, no gaps, end omitted at the start", async () => {
    const { ids, pages } = await pageAll("b", 10);
    expect(new Set(ids).size).toBe(ids.length);
    const messageIds = ids.filter((id) => sent.includes(id));
    expect(messageIds).toEqual([...sent].reverse());
    expect(pages).toBeGreaterThanOrEqual(5);
    // The oldest event is the create event.
    const last = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(ids.at(-1)!)}`, alice);
    expect(last.body.type).toBe("m.room.create");
  });

  it("pages forwards from the start in chronological order, the same events", async () => {
    const back = await pageAll("b", 7);
    const fwd = await pageAll("f", 7);
    expect(fwd.ids).toEqual([...back.ids].reverse());
    expect(fwd.ids.filter((id) => sent.includes(id))).toEqual(sent);
  });

  it("uses the default limit of 10 and returns client events", async () => {
    const res = await messages(alice, "dir=b");
    expect(res.body.chunk).toHaveLength(10);
    const ev = res.body.chunk[0];
    expect(ev).toMatchObject({ room_id: roomId, type: "m.room.message", content: { body: "m34" } });
    expect(ev.unsigned.age).toBeGreaterThanOrEqual(0);
    expect(ev.unsigned.membership).toBe("join");
    for (const k of ["hashes", "signatures", "auth_events", "prev_events", "depth"])
      expect(ev[k]).toBeUndefined();
  });

  it("turns around: an end token paged forwards returns what came after it", async () => {
    const first = await messages(alice, "dir=b&limit=5");
    const second = await messages(alice, `dir=b&limit=5&from=${enc(first.body.end)}`);
    const back = await messages(alice, `dir=f&limit=5&from=${enc(second.body.end)}`);
    expect(back.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual(
      [...second.body.chunk].reverse().map((e: { event_id: string }) => e.event_id),
    );
  });

  it("accepts a sync token as from, and stops at to", async () => {
    const position = hs.ctx.streams.events.persistedUpTo;
    const token = formatSyncToken(
      Object.fromEntries(SYNC_STREAMS.map((s) => [s, s === "events" ? position : 0])) as SyncToken,
    );
    const fromSync = await messages(alice, `dir=b&limit=3&from=${enc(token)}`);
    expect(fromSync.body.start).toBe(token);
    expect(fromSync.body.chunk.map((e: { content: { body: string } }) => e.content.body)).toEqual([
      "m34",
      "m33",
      "m32",
    ]);

    const page = await messages(alice, "dir=b&limit=5");
    const bounded = await messages(alice, `dir=b&limit=50&to=${enc(page.body.end)}`);
    expect(bounded.body.chunk).toHaveLength(5);
    expect(bounded.body.end).toBeUndefined();
  });

  it("applies a RoomEventFilter and lazy-loads the senders' member events", async () => {
    const filter = JSON.stringify({
      types: ["m.room.message"],
      senders: [bob.userId],
      lazy_load_members: true,
    });
    const res = await messages(alice, `dir=b&limit=4&filter=${enc(filter)}`);
    expect(res.status).toBe(200);
    expect(res.body.chunk).toHaveLength(4);
    for (const ev of res.body.chunk) expect(ev).toMatchObject({ type: "m.room.message", sender: bob.userId });
    expect(res.body.state.map((e: { state_key: string }) => e.state_key)).toEqual([bob.userId]);
    expect(res.body.state[0]).toMatchObject({ type: "m.room.member", content: { membership: "join" } });
    const noLazy = await messages(
      alice,
      `dir=b&limit=4&filter=${enc(JSON.stringify({ types: ["m.room.message"] }))}`,
    );
    expect(noLazy.body.state).toBeUndefined();
  });

  it("uses limit 0 and huge limits sensibly", async () => {
    const zero = await messages(alice, "dir=b&limit=0");
    expect(zero.status).toBe(200);
    expect(zero.body.chunk).toEqual([]);
    expect(typeof zero.body.end).toBe("string");
    const huge = await messages(alice, "dir=b&limit=100000");
    expect(huge.status).toBe(200);
    expect(huge.body.end).toBeUndefined();
  });

  it("rejects bad parameters with 400 M_INVALID_PARAM", async () => {
    for (const query of [
      "",
      "dir=x",
      "dir=B",
      "dir=b&limit=abc",
      "dir=b&limit=-1",
      "dir=b&limit=1.5",
      "dir=b&from=nonsense",
      "dir=b&from=t1_",
      "dir=b&to=s_1",
      "dir=b&filter=notjson",
      `dir=b&filter=${enc("[1]")}`,
      `dir=b&filter=${enc('{"types":"m.room.message"}')}`,
      `dir=b&filter=${enc('{"limit":-3}')}`,
    ]) {
      const res = await messages(alice, query);
      expect(res.status, query).toBe(400);
      expect(res.body.errcode, query).toBe("M_INVALID_PARAM");
    }
  });

  it("refuses non-members (403), unknown rooms (403) and malformed room ids (400); needs a token", async () => {
    expect((await messages(carol, "dir=b")).body.errcode).toBe("M_FORBIDDEN");
    expect((await messages(carol, "dir=b")).status).toBe(403);
    expect((await messages(alice, "dir=b", "!nope:hearth.test")).status).toBe(403);
    const bad = await messages(alice, "dir=b", "not-a-room");
    expect(bad.status).toBe(400);
    expect((await messages(undefined, "dir=b")).status).toBe(401);
  });
});

describe("GET /rooms/{roomId}/event/{eventId}", () => {
  it("returns a visible event; unknown, foreign-room and malformed ids are 404/400", async () => {
    const ok = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(sent[3]!)}`, bob);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ event_id: sent[3], content: { body: "m3" }, room_id: roomId });
    const unknown = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc("$nope")}`, alice);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    const other = await rooms.createRoom(alice);
    const wrongRoom = await call(hs, "GET", `/rooms/${enc(other)}/event/${enc(sent[3]!)}`, alice);
    expect(wrongRoom.status).toBe(404);
    const malformed = await call(hs, "GET", `/rooms/${enc(roomId)}/event/nodollar`, alice);
    expect(malformed.status).toBe(400);
  });

  it("hides events from non-members with 404", async () => {
    const res = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(sent[3]!)}`, carol);
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_NOT_FOUND");
  });

  it("serves redacted events redacted, with unsigned.redacted_because", async () => {
    const target = await rooms.send(alice, roomId, text("secret"));
    const redaction = await rooms.redact(alice, roomId, target);
    const res = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(target)}`, bob);
    expect(res.status).toBe(200);
    expect(res.body.content).toEqual({});
    expect(res.body.unsigned.redacted_because).toMatchObject({
      event_id: redaction,
      type: "m.room.redaction",
    });
    expect(
      res.body.unsigned.redacted_because.content.redacts ?? res.body.unsigned.redacted_because.redacts,
    ).toBe(target);
  });

  it("gives state events prev_content and replaces_state", async () => {
    const first = await rooms.state(alice, roomId, "m.room.topic", "", { topic: "one" });
    const second = await rooms.state(alice, roomId, "m.room.topic", "", { topic: "two" });
    const res = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(second)}`, alice);
    expect(res.body.state_key).toBe("");
    expect(res.body.unsigned).toMatchObject({ prev_content: { topic: "one" }, replaces_state: first });
  });
});

describe("GET /rooms/{roomId}/context/{eventId}", () => {
  it("splits the limit before and after, orders both sides, and returns usable tokens and state", async () => {
    const res = await call(hs, "GET", `/rooms/${enc(roomId)}/context/${enc(sent[20]!)}?limit=4`, alice);
    expect(res.status).toBe(200);
    expect(res.body.event.event_id).toBe(sent[20]);
    expect(res.body.events_before.map((e: { event_id: string }) => e.event_id)).toEqual([sent[19], sent[18]]);
    expect(res.body.events_after.map((e: { event_id: string }) => e.event_id)).toEqual([sent[21], sent[22]]);
    const types = new Set(res.body.state.map((e: { type: string }) => e.type));
    expect(types).toContain("m.room.create");
    expect(types).toContain("m.room.member");
    const before = await messages(alice, `dir=b&limit=2&from=${enc(res.body.start)}`);
    expect(before.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([sent[17], sent[16]]);
    const after = await messages(alice, `dir=f&limit=2&from=${enc(res.body.end)}`);
    expect(after.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([sent[23], sent[24]]);
  });

  it("limit 0 still returns the event; lazy loading narrows state to the senders", async () => {
    const zero = await call(hs, "GET", `/rooms/${enc(roomId)}/context/${enc(sent[5]!)}?limit=0`, alice);
    expect(zero.body.event.event_id).toBe(sent[5]);
    expect(zero.body.events_before).toEqual([]);
    expect(zero.body.events_after).toEqual([]);
    const filter = enc(JSON.stringify({ lazy_load_members: true }));
    const lazy = await call(
      hs,
      "GET",
      `/rooms/${enc(roomId)}/context/${enc(sent[5]!)}?limit=2&filter=${filter}`,
      alice,
    );
    const keys = lazy.body.state.map((e: { type: string; state_key: string }) => `${e.type}|${e.state_key}`);
    expect(keys.sort()).toEqual([`m.room.member|${alice.userId}`, `m.room.member|${bob.userId}`]);
  });

  it("rejects bad input and hides what the user may not see", async () => {
    const path = (ev: string, q = "") => `/rooms/${enc(roomId)}/context/${enc(ev)}${q}`;
    expect((await call(hs, "GET", path(sent[5]!, "?limit=x"), alice)).status).toBe(400);
    expect((await call(hs, "GET", path(sent[5]!, "?filter=%7B"), alice)).status).toBe(400);
    expect((await call(hs, "GET", path("$unknown"), alice)).status).toBe(404);
    expect((await call(hs, "GET", path(sent[5]!), carol)).status).toBe(403);
  });
});
