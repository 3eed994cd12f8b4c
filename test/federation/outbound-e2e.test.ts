import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi } from "./outbound-resident.ts";

let fed: TestFederation;
let hs1: Homeserver;
let hs2: Homeserver;
let alice: Session;
const enc = encodeURIComponent;

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test"]);
  hs1 = fed.hs("hs1.test");
  hs2 = fed.hs("hs2.test");
  alice = await createTestUser(hs1, "alice");
});
afterAll(() => fed?.destroy());

const as = (hs: Homeserver, user: Session) => (method: string, path: string, body?: unknown) =>
  clientApi(hs, user.accessToken, method, path, body);

type Sync = (method: string, path: string) => Promise<{ status: number; body: JsonObject }>;

/** Long-polls the user's sync until `found` picks something out of a response; no fixed sleeps. */
async function waitForSync<T>(call: Sync, found: (body: JsonObject) => T | undefined): Promise<T> {
  let since: string | undefined;
  for (let i = 0; i < 10; i++) {
    const res = await call("GET", `/sync?timeout=2000${since ? `&since=${enc(since)}` : ""}`);
    expect(res.status).toBe(200);
    const hit = found(res.body);
    if (hit !== undefined) return hit;
    since = res.body.next_batch as string;
  }
  throw new Error("never showed up in sync");
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const roomsOf = (body: any, section: string, roomId: string) => body.rooms?.[section]?.[roomId];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const timelineHas = (body: any, roomId: string, eventId: string): true | undefined =>
  roomsOf(body, "join", roomId)?.timeline.events.some((e: JsonObject) => e.event_id === eventId)
    ? true
    : undefined;

async function publicRoom(alias?: string): Promise<string> {
  const res = await as(hs1, alice)("POST", "/createRoom", {
    preset: "public_chat",
    name: "Lobby",
    ...(alias ? { room_alias_name: alias } : {}),
  });
  expect(res.status).toBe(200);
  return res.body.room_id;
}

describe("two Hearth servers", () => {
  it("a user of hs2 joins hs1's room by id, sees its state, and both sides chat", async () => {
    const roomId = await publicRoom();
    const bob = await createTestUser(hs2, "bob");
    const asBob = as(hs2, bob);
    const joined = await asBob("POST", `/join/${enc(roomId)}?via=hs1.test`, {});
    expect(joined).toEqual({ status: 200, body: { room_id: roomId } });

    const first = await asBob("GET", "/sync");
    const room = roomsOf(first.body, "join", roomId);
    const state = [...room.state.events, ...room.timeline.events].map((e: JsonObject) => e.type);
    expect(state).toEqual(expect.arrayContaining(["m.room.create", "m.room.name", "m.room.join_rules"]));

    // hs1 sees bob joined.
    const members = await as(hs1, alice)("GET", `/rooms/${enc(roomId)}/joined_members`);
    expect(Object.keys(members.body.joined)).toContain(bob.userId);

    const fromBob = await asBob("PUT", `/rooms/${enc(roomId)}/send/m.room.message/b1`, {
      msgtype: "m.text",
      body: "hello from hs2",
    });
    expect(fromBob.status).toBe(200);
    await waitForSync(as(hs1, alice), (b) => timelineHas(b, roomId, fromBob.body.event_id));

    const fromAlice = await as(hs1, alice)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/a1`, {
      msgtype: "m.text",
      body: "hello from hs1",
    });
    expect(fromAlice.status).toBe(200);
    await waitForSync(asBob, (b) => timelineHas(b, roomId, fromAlice.body.event_id));

    expect((await asBob("POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    await waitForSync(
      as(hs1, alice),
      (b) =>
        roomsOf(b, "join", roomId)?.timeline.events.some(
          (e: JsonObject) => e.state_key === bob.userId && (e.content as JsonObject).membership === "leave",
        ) || undefined,
    );
    const after = await as(hs1, alice)("GET", `/rooms/${enc(roomId)}/joined_members`);
    expect(Object.keys(after.body.joined)).not.toContain(bob.userId);
  });

  it("joins by hs1's alias, and reads hs1's profiles and aliases", async () => {
    const roomId = await publicRoom("lobby");
    const carol = await createTestUser(hs2, "carol");
    const asCarol = as(hs2, carol);
    expect(await asCarol("GET", `/directory/room/${enc("#lobby:hs1.test")}`)).toEqual({
      status: 200,
      body: { room_id: roomId, servers: ["hs1.test"] },
    });
    expect(await asCarol("POST", `/join/${enc("#lobby:hs1.test")}`, {})).toEqual({
      status: 200,
      body: { room_id: roomId },
    });
    const named = await as(hs1, alice)("PUT", `/profile/${enc(alice.userId)}/displayname`, {
      displayname: "Alice",
    });
    expect(named.status).toBe(200);
    const profile = await asCarol("GET", `/profile/${enc(alice.userId)}`);
    expect(profile).toEqual({ status: 200, body: { displayname: "Alice" } });
    expect(await asCarol("GET", `/profile/${enc(alice.userId)}/displayname`)).toEqual({
      status: 200,
      body: { displayname: "Alice" },
    });
    expect((await asCarol("GET", `/directory/room/${enc("#nope:hs1.test")}`)).status).toBe(404);
  });

  it("an invite from hs1 shows in the invitee's sync with invite state and can be accepted", async () => {
    const roomId = await publicRoom();
    const dave = await createTestUser(hs2, "dave");
    const invited = await as(hs1, alice)("POST", `/rooms/${enc(roomId)}/invite`, { user_id: dave.userId });
    expect(invited).toEqual({ status: 200, body: {} });
    const invite = await waitForSync(as(hs2, dave), (b) => roomsOf(b, "invite", roomId));
    const types = invite.invite_state.events.map((e: JsonObject) => e.type);
    expect(types).toEqual(expect.arrayContaining(["m.room.create", "m.room.name", "m.room.member"]));

    // No via: the inviter's server is where the join goes.
    expect((await as(hs2, dave)("POST", `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
    const members = await as(hs1, alice)("GET", `/rooms/${enc(roomId)}/joined_members`);
    expect(Object.keys(members.body.joined)).toContain(dave.userId);
  });

  it("an invite from hs1 can be rejected: make_leave / send_leave, and hs1 sees the leave", async () => {
    const roomId = await publicRoom();
    const eve = await createTestUser(hs2, "eve");
    const asEve = as(hs2, eve);
    expect(
      (await as(hs1, alice)("POST", `/rooms/${enc(roomId)}/invite`, { user_id: eve.userId })).status,
    ).toBe(200);
    const since = await waitForSync(asEve, (b) => (roomsOf(b, "invite", roomId) ? b.next_batch : undefined));
    expect((await asEve("POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    const state = await as(hs1, alice)("GET", `/rooms/${enc(roomId)}/state/m.room.member/${enc(eve.userId)}`);
    expect(state).toEqual({ status: 200, body: { membership: "leave" } });
    const after = await asEve("GET", `/sync?since=${enc(since as string)}&timeout=0`);
    expect(roomsOf(after.body, "invite", roomId)).toBeUndefined();
    // As for a local rejection, the leave section ends the invite with eve's own leave event.
    const left = roomsOf(after.body, "leave", roomId);
    expect(left.timeline.events).toMatchObject([
      { type: "m.room.member", state_key: eve.userId, content: { membership: "leave" } },
    ]);
  });

  it("an invite is rejected locally when the inviting server cannot be reached", async () => {
    const roomId = await publicRoom();
    const finn = await createTestUser(hs2, "finn");
    const asFinn = as(hs2, finn);
    expect(
      (await as(hs1, alice)("POST", `/rooms/${enc(roomId)}/invite`, { user_id: finn.userId })).status,
    ).toBe(200);
    await waitForSync(asFinn, (b) => roomsOf(b, "invite", roomId));
    fed.net.partition("hs1.test", "hs2.test");
    try {
      expect((await asFinn("POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    } finally {
      fed.net.heal();
    }
    const sync = await asFinn("GET", "/sync");
    expect(roomsOf(sync.body, "invite", roomId)).toBeUndefined();
  });
});
