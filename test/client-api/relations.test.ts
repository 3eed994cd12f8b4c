import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { roomDriver, text, type RoomDriver, startReadTestHomeserver } from "./room-driver.ts";
import { call, enc } from "./room-read-support.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
let alice: Session;
let bob: Session;
let carol: Session;
let outsider: Session;
let roomId: string;
let now = 1_700_000_000_000;
let frozen = false;

beforeAll(async () => {
  // Each event one second after the previous, so "most recent edit" is decided by timestamps.
  hs = await startReadTestHomeserver({ clock: () => (frozen ? now : (now += 1000)) });
  rooms = roomDriver(hs);
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
  carol = await createTestUser(hs, "carol");
  outsider = await createTestUser(hs, "outsider");
  roomId = await rooms.createRoom(alice, { preset: "public_chat" });
  await rooms.member(bob, roomId, "join");
  await rooms.member(carol, roomId, "join");
});
afterAll(() => hs?.destroy());

const rel = (relType: string, eventId: string, extra: JsonObject = {}): JsonObject => ({
  "m.relates_to": { rel_type: relType, event_id: eventId, ...extra },
});
const edit = (target: string, body: string): JsonObject => ({
  ...text(`* ${body}`),
  "m.new_content": text(body),
  ...rel("m.replace", target),
});
const ids = (chunk: { event_id: string }[]): string[] => chunk.map((e) => e.event_id);
const v1 = (path: string) => `/_matrix/client/v1/rooms/${enc(roomId)}${path}`;

describe("bundled aggregations", () => {
  it("m.replace: the latest valid edit by the original sender, in full; none on redacted parents", async () => {
    const original = await rooms.send(alice, roomId, text("hello"));
    await rooms.send(alice, roomId, edit(original, "hello!"));
    const latest = await rooms.send(alice, roomId, edit(original, "hello!!"));
    // Invalid edits: another sender, no m.new_content, a different event type.
    await rooms.send(bob, roomId, edit(original, "hijacked"));
    await rooms.send(alice, roomId, { ...text("* no new content"), ...rel("m.replace", original) });
    await rooms.send(alice, roomId, edit(original, "sticker"), "m.sticker");

    const res = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(original)}`, carol);
    expect(res.body.content.body).toBe("hello");
    expect(res.body.unsigned["m.relations"]["m.replace"]).toMatchObject({
      event_id: latest,
      sender: alice.userId,
      type: "m.room.message",
      content: { "m.new_content": { body: "hello!!" } },
    });

    // Redacting the newest edit falls back to the previous one.
    await rooms.redact(alice, roomId, latest);
    const after = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(original)}`, carol);
    expect(after.body.unsigned["m.relations"]["m.replace"].content["m.new_content"].body).toBe("hello!");

    await rooms.redact(alice, roomId, original);
    const redacted = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(original)}`, carol);
    expect(redacted.body.unsigned["m.relations"]?.["m.replace"]).toBeUndefined();
  });

  it("m.replace ties on origin_server_ts go to the largest event id in code point order", async () => {
    const original = await rooms.send(alice, roomId, text("tie"));
    frozen = true;
    const edits: string[] = [];
    try {
      for (let i = 0; i < 6; i++) edits.push(await rooms.send(alice, roomId, edit(original, `tie ${i}`)));
    } finally {
      frozen = false;
    }
    const largest = [...edits].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))[0];
    const res = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(original)}`, carol);
    expect(res.body.unsigned["m.relations"]["m.replace"].event_id).toBe(largest);
  });

  it("m.thread: latest event, count and participation, per requester; m.reference: the chunk of ids", async () => {
    const root = await rooms.send(alice, roomId, text("thread root"));
    await rooms.send(bob, roomId, { ...text("r1"), ...rel("m.thread", root) });
    await rooms.send(bob, roomId, { ...text("r2"), ...rel("m.thread", root) });
    const r3 = await rooms.send(bob, roomId, { ...text("r3"), ...rel("m.thread", root) });
    const r3edit = await rooms.send(bob, roomId, edit(r3, "r3 edited"));
    const ref = await rooms.send(carol, roomId, { ...text("see above"), ...rel("m.reference", root) });

    const asAlice = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(root)}`, alice);
    const thread = asAlice.body.unsigned["m.relations"]["m.thread"];
    expect(thread.count).toBe(3);
    expect(thread.current_user_participated).toBe(true); // the root's sender
    expect(thread.latest_event).toMatchObject({ event_id: r3, content: { body: "r3" } });
    // The latest event carries its own bundled edit.
    expect(thread.latest_event.unsigned["m.relations"]["m.replace"].event_id).toBe(r3edit);
    expect(asAlice.body.unsigned["m.relations"]["m.reference"]).toEqual({ chunk: [{ event_id: ref }] });

    const asBob = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(root)}`, bob);
    expect(asBob.body.unsigned["m.relations"]["m.thread"].current_user_participated).toBe(true);
    const asCarol = await call(hs, "GET", `/rooms/${enc(roomId)}/event/${enc(root)}`, carol);
    expect(asCarol.body.unsigned["m.relations"]["m.thread"].current_user_participated).toBe(false);

    // /messages bundles too.
    const page = await call(hs, "GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=20`, carol);
    const inPage = page.body.chunk.find((e: { event_id: string }) => e.event_id === root);
    expect(inPage.unsigned["m.relations"]["m.thread"].count).toBe(3);
  });
});

describe("GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}", () => {
  let parent: string;
  const reactions: string[] = [];

  beforeAll(async () => {
    parent = await rooms.send(alice, roomId, text("react to me"));
    for (let i = 0; i < 12; i++) {
      reactions.push(
        await rooms.send(
          i % 2 ? bob : carol,
          roomId,
          rel("m.annotation", parent, { key: `k${i}` }),
          "m.reaction",
        ),
      );
    }
  });

  it("pages newest first without gaps or duplicates; next_batch disappears at the end", async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await call(
        hs,
        "GET",
        v1(`/relations/${enc(parent)}?limit=5${from ? `&from=${enc(from)}` : ""}`),
        bob,
      );
      expect(res.status).toBe(200);
      if (from) expect(res.body.prev_batch).toBe(from);
      else expect(res.body.prev_batch).toBeUndefined();
      expect(res.body.recursion_depth).toBeUndefined();
      seen.push(...ids(res.body.chunk));
      if (!res.body.next_batch) break;
      from = res.body.next_batch;
    }
    expect(seen).toEqual([...reactions].reverse());
  });

  it("pages forwards with dir=f, and filters by rel_type and event type", async () => {
    const fwd = await call(hs, "GET", v1(`/relations/${enc(parent)}?dir=f&limit=50`), bob);
    expect(ids(fwd.body.chunk)).toEqual(reactions);
    const byType = await call(
      hs,
      "GET",
      v1(`/relations/${enc(parent)}/m.annotation/m.reaction?limit=3`),
      bob,
    );
    expect(ids(byType.body.chunk)).toEqual([...reactions].reverse().slice(0, 3));
    expect((await call(hs, "GET", v1(`/relations/${enc(parent)}/m.replace`), bob)).body.chunk).toEqual([]);
    expect(
      (await call(hs, "GET", v1(`/relations/${enc(parent)}/m.annotation/m.room.message`), bob)).body.chunk,
    ).toEqual([]);
  });

  it("recurse follows relations of relations and reports the depth", async () => {
    const root = await rooms.send(alice, roomId, text("deep"));
    const reply = await rooms.send(bob, roomId, { ...text("reply"), ...rel("m.thread", root) });
    const replyEdit = await rooms.send(bob, roomId, edit(reply, "reply!"));
    const flat = await call(hs, "GET", v1(`/relations/${enc(root)}`), alice);
    expect(ids(flat.body.chunk)).toEqual([reply]);
    const deep = await call(hs, "GET", v1(`/relations/${enc(root)}?recurse=true`), alice);
    expect(ids(deep.body.chunk)).toEqual([replyEdit, reply]);
    expect(deep.body.recursion_depth).toBe(3);
    // A rel_type filter applies at every level: the edit hangs off a matching event but is not m.thread.
    const threadOnly = await call(hs, "GET", v1(`/relations/${enc(root)}/m.thread?recurse=true`), alice);
    expect(ids(threadOnly.body.chunk)).toEqual([reply]);
    const notRecursing = await call(hs, "GET", v1(`/relations/${enc(root)}?recurse=false`), alice);
    expect(notRecursing.body.recursion_depth).toBe(1);
  });

  it("404 for unknown or invisible parents; 400 for bad parameters", async () => {
    expect((await call(hs, "GET", v1(`/relations/${enc("$missing")}`), bob)).status).toBe(404);
    const hidden = await call(hs, "GET", v1(`/relations/${enc(parent)}`), outsider);
    expect(hidden.status).toBe(404);
    expect(hidden.body.errcode).toBe("M_NOT_FOUND");
    for (const q of ["dir=x", "limit=many", "limit=-2", "from=junk", "recurse=yes"]) {
      const res = await call(hs, "GET", v1(`/relations/${enc(parent)}?${q}`), bob);
      expect(res.status, q).toBe(400);
      expect(res.body.errcode, q).toBe("M_INVALID_PARAM");
    }
    expect((await call(hs, "GET", v1(`/relations/not-an-event`), bob)).status).toBe(400);
    expect(
      (await call(hs, "GET", `/_matrix/client/v1/rooms/nope/relations/${enc(parent)}`, bob)).status,
    ).toBe(400);
  });
});

describe("GET /_matrix/client/v1/rooms/{roomId}/threads", () => {
  it("lists thread roots by latest reply, pages, and filters to participated threads", async () => {
    const threadRoom = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.member(bob, threadRoom, "join");
    const a = await rooms.send(alice, threadRoom, text("A"));
    const b = await rooms.send(bob, threadRoom, text("B"));
    const c = await rooms.send(bob, threadRoom, text("C"));
    await rooms.send(bob, threadRoom, { ...text("on A"), ...rel("m.thread", a) });
    await rooms.send(bob, threadRoom, { ...text("on C"), ...rel("m.thread", c) });
    await rooms.send(bob, threadRoom, { ...text("on B"), ...rel("m.thread", b) });
    const path = (q: string) => `/_matrix/client/v1/rooms/${enc(threadRoom)}/threads?${q}`;

    const all = await call(hs, "GET", path(""), alice);
    expect(ids(all.body.chunk)).toEqual([b, c, a]);
    expect(all.body.next_batch).toBeUndefined();
    expect(all.body.chunk[0].unsigned["m.relations"]["m.thread"].count).toBe(1);

    const first = await call(hs, "GET", path("limit=2"), alice);
    expect(ids(first.body.chunk)).toEqual([b, c]);
    const second = await call(hs, "GET", path(`limit=2&from=${enc(first.body.next_batch)}`), alice);
    expect(ids(second.body.chunk)).toEqual([a]);
    expect(second.body.next_batch).toBeUndefined();

    // Alice sent A's root; she never replied to B or C.
    const mine = await call(hs, "GET", path("include=participated"), alice);
    expect(ids(mine.body.chunk)).toEqual([a]);
  });

  it("rejects bad parameters and non-members", async () => {
    const path = (q: string) => `/_matrix/client/v1/rooms/${enc(roomId)}/threads?${q}`;
    for (const q of ["include=some", "limit=0", "limit=x", "from=bad"]) {
      expect((await call(hs, "GET", path(q), alice)).status, q).toBe(400);
    }
    const res = await call(hs, "GET", path(""), outsider);
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  });
});

describe("ignored users", () => {
  it("hides their messages from pages, relations and thread summaries, but not their state events", async () => {
    const dave = await createTestUser(hs, "dave");
    const room = await rooms.createRoom(alice, { preset: "public_chat" });
    await rooms.member(bob, room, "join");
    await rooms.member(dave, room, "join");
    const root = await rooms.send(alice, room, text("root"));
    const fromBob = await rooms.send(bob, room, { ...text("bob in thread"), ...rel("m.thread", root) });
    const fromAlice = await rooms.send(alice, room, { ...text("alice in thread"), ...rel("m.thread", root) });
    await rooms.send(bob, room, { ...text("bob again"), ...rel("m.thread", root) });
    const bobState = await rooms.state(bob, room, "m.room.member", bob.userId, {
      membership: "join",
      displayname: "Bob here",
    });
    const put = await call(hs, "PUT", `/user/${enc(dave.userId)}/account_data/m.ignored_user_list`, dave, {
      ignored_users: { [bob.userId]: {} },
    });
    expect(put.status).toBe(200);

    const page = await call(hs, "GET", `/rooms/${enc(room)}/messages?dir=b&limit=50`, dave);
    const pageIds = ids(page.body.chunk);
    expect(pageIds).not.toContain(fromBob);
    expect(pageIds).toContain(fromAlice);
    expect(pageIds).toContain(bobState);

    const rels = await call(hs, "GET", `/_matrix/client/v1/rooms/${enc(room)}/relations/${enc(root)}`, dave);
    expect(ids(rels.body.chunk)).toEqual([fromAlice]);
    const rootEvent = await call(hs, "GET", `/rooms/${enc(room)}/event/${enc(root)}`, dave);
    expect(rootEvent.body.unsigned["m.relations"]["m.thread"]).toMatchObject({
      count: 1,
      latest_event: { event_id: fromAlice },
    });
    // Alice ignores no one: she sees all three replies.
    const forAlice = await call(hs, "GET", `/rooms/${enc(room)}/event/${enc(root)}`, alice);
    expect(forAlice.body.unsigned["m.relations"]["m.thread"].count).toBe(3);
  });
});
