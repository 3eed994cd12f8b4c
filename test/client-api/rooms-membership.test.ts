import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deactivateAccount } from "../../src/accounts/deactivate.ts";
import { startSession, type Session } from "../../src/accounts/session.ts";
import { leaveAllRooms } from "../../src/rooms/leave-all.ts";
import { updateMemberProfiles } from "../../src/rooms/profile-propagation.ts";
import { insertUser } from "../../src/storage/accounts/users.ts";
import { getEvent } from "../../src/storage/rooms/events.ts";
import { getCurrentMembership } from "../../src/storage/rooms/memberships.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { roomEvents } from "../rooms/helpers.ts";
import { api, createRoomApi, enc, startRoomsHomeserver } from "./rooms-support.ts";

let hs: TestHomeserver;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  hs = await startRoomsHomeserver();
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
  carol = await createTestUser(hs, "carol");
});
afterAll(() => hs?.destroy());

const room = (id: string, action: string) => `/rooms/${enc(id)}/${action}`;
const membership = async (roomId: string, userId: string) =>
  (await getCurrentMembership(hs.ctx.db, roomId, userId))?.membership;
const memberEvent = async (roomId: string, userId: string) => {
  const m = await getCurrentMembership(hs.ctx.db, roomId, userId);
  return m ? (await getEvent(hs.ctx.db, m.eventId))?.pdu : undefined;
};
const eventCount = async (roomId: string) => (await roomEvents(hs.ctx, roomId)).length;

describe("join", () => {
  it("joins a public room by id and by alias; joining again changes nothing", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat", room_alias_name: "joinme" });
    const byId = await api(hs, bob, "POST", room(roomId, "join"), {});
    expect(byId).toMatchObject({ status: 200, body: { room_id: roomId } });
    expect(await membership(roomId, bob.userId)).toBe("join");
    const n = await eventCount(roomId);
    const again = await api(hs, bob, "POST", `/join/${enc(roomId)}`, {});
    expect(again).toMatchObject({ status: 200, body: { room_id: roomId } });
    expect(await eventCount(roomId)).toBe(n);

    const byAlias = await api(hs, carol, "POST", `/join/${enc("#joinme:hearth.test")}`, { reason: "hi" });
    expect(byAlias).toMatchObject({ status: 200, body: { room_id: roomId } });
    expect((await memberEvent(roomId, carol.userId))?.content).toEqual({ membership: "join", reason: "hi" });
    // No body at all is accepted too.
    const dave = await createTestUser(hs, "dave");
    expect((await api(hs, dave, "POST", room(roomId, "join"))).status).toBe(200);
  });

  it("unknown rooms and aliases are 404; malformed ones 400; unreachable alias servers 502", async () => {
    for (const target of ["!unknown:hearth.test", "#unknown:hearth.test"]) {
      const res = await api(hs, bob, "POST", `/join/${enc(target)}`, {});
      expect(res.status, target).toBe(404);
      expect(res.body.errcode).toBe("M_NOT_FOUND");
    }
    // Another server's alias is asked of that server, which tests cannot reach.
    const remote = await api(hs, bob, "POST", `/join/${enc("#remote:elsewhere.example")}`, {});
    expect(remote.status).toBe(502);
    expect(remote.body.errcode).toBe("M_UNKNOWN");
    for (const target of ["nothing", "#", "#:x"]) {
      expect((await api(hs, bob, "POST", `/join/${enc(target)}`, {})).status, target).toBe(400);
    }
    expect((await api(hs, bob, "POST", room("!unknown:hearth.test", "join"), {})).status).toBe(404);
    expect((await api(hs, bob, "POST", room("!x:hearth.test", "join"), "[]")).status).toBe(400);
    expect((await api(hs, bob, "POST", room("!x:hearth.test", "join"), { reason: 5 })).status).toBe(400);
  });

  it("invite-only rooms need an invite (403 otherwise)", async () => {
    const roomId = await createRoomApi(hs, alice);
    const denied = await api(hs, bob, "POST", room(roomId, "join"), {});
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe("M_FORBIDDEN");
    expect((await api(hs, alice, "POST", room(roomId, "invite"), { user_id: bob.userId })).status).toBe(200);
    expect((await api(hs, bob, "POST", room(roomId, "join"), {})).status).toBe(200);
  });

  it("restricted rooms admit members of the allowed rooms, authorised by a local member who may invite", async () => {
    const space = await createRoomApi(hs, alice, { preset: "public_chat" });
    await api(hs, bob, "POST", room(space, "join"), {});
    const restricted = await createRoomApi(hs, alice, {
      room_version: "10",
      initial_state: [
        {
          type: "m.room.join_rules",
          content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] },
        },
      ],
    });
    expect((await api(hs, bob, "POST", room(restricted, "join"), {})).status).toBe(200);
    expect((await memberEvent(restricted, bob.userId))?.content.join_authorised_via_users_server).toBe(
      alice.userId,
    );
    expect((await api(hs, carol, "POST", room(restricted, "join"), {})).status).toBe(403);
  });

  it("guests join only where guest_access is can_join", async () => {
    await insertUser(hs.ctx.db, {
      userId: "@guest:hearth.test",
      passwordHash: null,
      isGuest: true,
      createdTs: 0,
    });
    const guest = await startSession(hs.ctx, "@guest:hearth.test");
    const forbidden = await createRoomApi(hs, alice, { preset: "public_chat" });
    const res = await api(hs, guest, "POST", room(forbidden, "join"), {});
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
    const open = await createRoomApi(hs, alice, {
      preset: "public_chat",
      initial_state: [{ type: "m.room.guest_access", content: { guest_access: "can_join" } }],
    });
    expect((await api(hs, guest, "POST", room(open, "join"), {})).status).toBe(200);
    expect((await api(hs, guest, "POST", "/createRoom", {})).body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
  });
});

describe("invite", () => {
  it("invites with stripped room state; inviting again is a no-op", async () => {
    const roomId = await createRoomApi(hs, alice, { name: "Secret club" });
    expect(
      (await api(hs, alice, "POST", room(roomId, "invite"), { user_id: bob.userId, reason: "join us" }))
        .status,
    ).toBe(200);
    const invite = await memberEvent(roomId, bob.userId);
    expect(invite?.content).toEqual({ membership: "invite", reason: "join us" });
    const stripped = (invite?.unsigned as { invite_room_state: Array<{ type: string; content: unknown }> })
      .invite_room_state;
    expect(stripped.find((s) => s.type === "m.room.name")?.content).toEqual({ name: "Secret club" });
    expect(stripped.some((s) => s.type === "m.room.create")).toBe(true);
    const n = await eventCount(roomId);
    expect((await api(hs, alice, "POST", room(roomId, "invite"), { user_id: bob.userId })).status).toBe(200);
    expect(await eventCount(roomId)).toBe(n);
  });

  it("refuses joined, banned, unreachable and malformed invitees, and inviters without power", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
    await api(hs, bob, "POST", room(roomId, "join"), {});
    const joined = await api(hs, alice, "POST", room(roomId, "invite"), { user_id: bob.userId });
    expect(joined.status).toBe(403);
    // public_chat: inviting needs 50.
    const lowPower = await api(hs, bob, "POST", room(roomId, "invite"), { user_id: carol.userId });
    expect(lowPower.status).toBe(403);
    const outsider = await api(hs, carol, "POST", room(roomId, "invite"), { user_id: "@x:hearth.test" });
    expect(outsider.status).toBe(403);
    await api(hs, alice, "POST", room(roomId, "ban"), { user_id: carol.userId });
    expect((await api(hs, alice, "POST", room(roomId, "invite"), { user_id: carol.userId })).status).toBe(
      403,
    );
    const remote = await api(hs, alice, "POST", room(roomId, "invite"), {
      user_id: "@someone:elsewhere.example",
    });
    // The invitee's server must sign the invite first; tests cannot reach it.
    expect(remote.status).toBe(502);
    expect(remote.body.errcode).toBe("M_UNKNOWN");
    expect(await getCurrentMembership(hs.ctx.db, roomId, "@someone:elsewhere.example")).toBeUndefined();
    expect((await api(hs, alice, "POST", room(roomId, "invite"), { user_id: "bob" })).body.errcode).toBe(
      "M_INVALID_PARAM",
    );
    expect((await api(hs, alice, "POST", room(roomId, "invite"), {})).body.errcode).toBe("M_MISSING_PARAM");
    expect((await api(hs, alice, "POST", room(roomId, "invite"), { user_id: 1 })).body.errcode).toBe(
      "M_BAD_JSON",
    );
  });
});

describe("leave, kick, ban, unban, forget", () => {
  it("leave: from join, rejecting an invite; again is a no-op; never a member is 403", async () => {
    const roomId = await createRoomApi(hs, alice, { invite: [bob.userId] });
    expect((await api(hs, bob, "POST", room(roomId, "leave"), {})).status).toBe(200);
    expect(await membership(roomId, bob.userId)).toBe("leave");
    const n = await eventCount(roomId);
    expect((await api(hs, bob, "POST", room(roomId, "leave"))).status).toBe(200);
    expect(await eventCount(roomId)).toBe(n);
    expect((await api(hs, carol, "POST", room(roomId, "leave"), {})).status).toBe(403);
    expect((await api(hs, carol, "POST", room("!gone:hearth.test", "leave"), {})).status).toBe(404);
    expect((await api(hs, alice, "POST", room(roomId, "leave"), { reason: "bye" })).status).toBe(200);
    expect((await memberEvent(roomId, alice.userId))?.content).toEqual({
      membership: "leave",
      reason: "bye",
    });
  });

  it("kick: moderators remove members; not in the room or not enough power is 403", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
    await api(hs, bob, "POST", room(roomId, "join"), {});
    await api(hs, carol, "POST", room(roomId, "join"), {});
    expect((await api(hs, bob, "POST", room(roomId, "kick"), { user_id: carol.userId })).status).toBe(403);
    expect((await api(hs, bob, "POST", room(roomId, "kick"), { user_id: alice.userId })).status).toBe(403);
    const kicked = await api(hs, alice, "POST", room(roomId, "kick"), {
      user_id: carol.userId,
      reason: "noise",
    });
    expect(kicked.status).toBe(200);
    const ev = await memberEvent(roomId, carol.userId);
    expect(ev).toMatchObject({ sender: alice.userId, content: { membership: "leave", reason: "noise" } });
    expect((await api(hs, alice, "POST", room(roomId, "kick"), { user_id: carol.userId })).status).toBe(403);
    // Kicked from a public room: may come back.
    expect((await api(hs, carol, "POST", room(roomId, "join"), {})).status).toBe(200);
  });

  it("ban keeps users out until unbanned; unban needs a banned target and power", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
    await api(hs, bob, "POST", room(roomId, "join"), {});
    await api(hs, carol, "POST", room(roomId, "join"), {});
    expect((await api(hs, bob, "POST", room(roomId, "ban"), { user_id: carol.userId })).status).toBe(403);
    expect(
      (await api(hs, alice, "POST", room(roomId, "ban"), { user_id: carol.userId, reason: "spam" })).status,
    ).toBe(200);
    expect(await membership(roomId, carol.userId)).toBe("ban");
    expect((await api(hs, carol, "POST", room(roomId, "join"), {})).status).toBe(403);
    expect((await api(hs, carol, "POST", room(roomId, "leave"), {})).status).toBe(403);
    expect((await api(hs, bob, "POST", room(roomId, "unban"), { user_id: carol.userId })).status).toBe(403);
    expect((await api(hs, alice, "POST", room(roomId, "unban"), { user_id: bob.userId })).status).toBe(403);
    expect((await api(hs, alice, "POST", room(roomId, "unban"), { user_id: carol.userId })).status).toBe(200);
    expect(await membership(roomId, carol.userId)).toBe("leave");
    expect((await api(hs, carol, "POST", room(roomId, "join"), {})).status).toBe(200);
    // Banning someone who never joined works too (pre-emptive ban).
    expect(
      (await api(hs, alice, "POST", room(roomId, "ban"), { user_id: "@stranger:elsewhere.example" })).status,
    ).toBe(200);
  });

  it("forget: only after leaving (400 M_UNKNOWN before); re-joining un-forgets", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
    await api(hs, bob, "POST", room(roomId, "join"), {});
    const early = await api(hs, bob, "POST", room(roomId, "forget"), {});
    expect(early.status).toBe(400);
    expect(early.body.errcode).toBe("M_UNKNOWN");
    await api(hs, bob, "POST", room(roomId, "leave"), {});
    expect((await api(hs, bob, "POST", room(roomId, "forget"))).status).toBe(200);
    expect((await getCurrentMembership(hs.ctx.db, roomId, bob.userId))?.forgotten).toBe(true);
    await api(hs, bob, "POST", room(roomId, "join"), {});
    expect((await getCurrentMembership(hs.ctx.db, roomId, bob.userId))?.forgotten).toBe(false);
    expect((await api(hs, carol, "POST", room(roomId, "forget"), {})).status).toBe(200);
  });
});

describe("knock", () => {
  it("knocks on knock rooms (with stripped state), then joins once invited; a knock can be retracted", async () => {
    const roomId = await createRoomApi(hs, alice, {
      name: "Knock knock",
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }],
    });
    const res = await api(hs, bob, "POST", `/knock/${enc(roomId)}`, { reason: "let me in" });
    expect(res).toMatchObject({ status: 200, body: { room_id: roomId } });
    const knock = await memberEvent(roomId, bob.userId);
    expect(knock?.content).toEqual({ membership: "knock", reason: "let me in" });
    expect((knock?.unsigned as { knock_room_state: unknown[] }).knock_room_state.length).toBeGreaterThan(0);
    expect((await api(hs, alice, "POST", room(roomId, "invite"), { user_id: bob.userId })).status).toBe(200);
    expect((await api(hs, bob, "POST", room(roomId, "join"), {})).status).toBe(200);

    await api(hs, carol, "POST", `/knock/${enc(roomId)}`, {});
    expect((await api(hs, carol, "POST", room(roomId, "leave"), {})).status).toBe(200);
    expect(await membership(roomId, carol.userId)).toBe("leave");
  });

  it("rooms that do not take knocks answer 403; unknown ones 404", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
    expect((await api(hs, bob, "POST", `/knock/${enc(roomId)}`, {})).status).toBe(403);
    expect((await api(hs, bob, "POST", `/knock/${enc("!none:hearth.test")}`, {})).status).toBe(404);
  });
});

describe("member lists", () => {
  it("joined_rooms lists rooms the user is joined to", async () => {
    const erin = await createTestUser(hs, "erin");
    const a = await createRoomApi(hs, erin);
    const b = await createRoomApi(hs, erin);
    await api(hs, erin, "POST", room(b, "leave"), {});
    expect((await api(hs, erin, "GET", "/joined_rooms")).body).toEqual({ joined_rooms: [a] });
  });

  it("members with membership / not_membership filters; joined_members with profiles", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat", invite: [carol.userId] });
    await api(hs, bob, "POST", room(roomId, "join"), {});
    await api(hs, bob, "PUT", `/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`, {
      membership: "join",
      displayname: "Bob",
      avatar_url: "mxc://hearth.test/bob",
    });
    const all = await api(hs, alice, "GET", room(roomId, "members"));
    const summary = (r: typeof all) =>
      Object.fromEntries(
        (r.body.chunk as Array<{ state_key: string; content: { membership: string } }>).map((e) => [
          e.state_key,
          e.content.membership,
        ]),
      );
    expect(summary(all)).toEqual({ [alice.userId]: "join", [bob.userId]: "join", [carol.userId]: "invite" });
    expect(summary(await api(hs, alice, "GET", `${room(roomId, "members")}?membership=invite`))).toEqual({
      [carol.userId]: "invite",
    });
    expect(summary(await api(hs, alice, "GET", `${room(roomId, "members")}?not_membership=join`))).toEqual({
      [carol.userId]: "invite",
    });
    expect(
      summary(
        await api(hs, alice, "GET", `${room(roomId, "members")}?membership=join&not_membership=invite`),
      ),
    ).toEqual({ [alice.userId]: "join", [bob.userId]: "join" });
    expect((await api(hs, alice, "GET", `${room(roomId, "members")}?membership=joined`)).status).toBe(400);

    const joined = await api(hs, alice, "GET", room(roomId, "joined_members"));
    expect(joined.body).toEqual({
      joined: {
        [alice.userId]: {},
        [bob.userId]: { display_name: "Bob", avatar_url: "mxc://hearth.test/bob" },
      },
    });
    // Invited is not joined.
    expect((await api(hs, carol, "GET", room(roomId, "joined_members"))).status).toBe(403);
    expect((await api(hs, carol, "GET", room("!none:hearth.test", "members"))).status).toBe(403);
  });

  it("members?at= answers as of a sync or pagination token's stream position", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
    await api(hs, bob, "POST", room(roomId, "join"), {});
    const token = `s${hs.ctx.streams.events.persistedUpTo}_0_0_0_0_0_0`;
    await api(hs, carol, "POST", room(roomId, "join"), {});
    const ids = async (query: string) =>
      (
        (await api(hs, alice, "GET", `${room(roomId, "members")}${query}`)).body.chunk as Array<{
          state_key: string;
        }>
      )
        .map((e) => e.state_key)
        .sort();
    expect(await ids(`?at=${token}`)).toEqual([alice.userId, bob.userId].sort());
    expect(await ids(`?at=${token}&membership=join`)).toEqual([alice.userId, bob.userId].sort());
    expect(await ids("")).toEqual([alice.userId, bob.userId, carol.userId].sort());
    expect((await api(hs, alice, "GET", `${room(roomId, "members")}?at=garbage`)).status).toBe(400);
  });

  it("a member who left sees the members as of leaving", async () => {
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
    await api(hs, bob, "POST", room(roomId, "join"), {});
    await api(hs, bob, "POST", room(roomId, "leave"), {});
    await api(hs, carol, "POST", room(roomId, "join"), {});
    const res = await api(hs, bob, "GET", room(roomId, "members"));
    const ids = (res.body.chunk as Array<{ state_key: string }>).map((e) => e.state_key).sort();
    expect(ids).toEqual([alice.userId, bob.userId].sort());
  });
});

describe("hooks for other areas", () => {
  it("leaveAllRooms leaves joined rooms, rejects invites and retracts knocks", async () => {
    const frank = await createTestUser(hs, "frank");
    const joined = await createRoomApi(hs, frank);
    const invited = await createRoomApi(hs, alice, { invite: [frank.userId] });
    const knocked = await createRoomApi(hs, alice, {
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }],
    });
    await api(hs, frank, "POST", `/knock/${enc(knocked)}`, {});
    expect((await leaveAllRooms(hs.ctx, frank.userId)).sort()).toEqual([joined, invited, knocked].sort());
    for (const r of [joined, invited, knocked]) expect(await membership(r, frank.userId)).toBe("leave");
  });

  it("account deactivation makes the user leave their rooms (accounts' hook)", async () => {
    const hank = await createTestUser(hs, "hank");
    const roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
    await api(hs, hank, "POST", room(roomId, "join"), {});
    await deactivateAccount(hs.ctx, hank.userId, { erase: false });
    expect(await membership(roomId, hank.userId)).toBe("leave");
  });

  it("updateMemberProfiles sends new member events where the profile changed", async () => {
    const gina = await createTestUser(hs, "gina");
    const a = await createRoomApi(hs, gina);
    const b = await createRoomApi(hs, gina);
    await api(hs, gina, "PUT", `/rooms/${enc(b)}/state/m.room.member/${enc(gina.userId)}`, {
      membership: "join",
      displayname: "Gina",
      "org.example.extra": 1,
    });
    expect((await updateMemberProfiles(hs.ctx, gina.userId, { displayname: "Gina" })).sort()).toEqual([a]);
    expect((await memberEvent(a, gina.userId))?.content).toEqual({ membership: "join", displayname: "Gina" });
    const updated = await updateMemberProfiles(hs.ctx, gina.userId, {
      displayname: "G",
      avatar_url: "mxc://x/y",
    });
    expect(updated.sort()).toEqual([a, b].sort());
    expect((await memberEvent(b, gina.userId))?.content).toEqual({
      membership: "join",
      displayname: "G",
      avatar_url: "mxc://x/y",
      "org.example.extra": 1,
    });
  });
});
