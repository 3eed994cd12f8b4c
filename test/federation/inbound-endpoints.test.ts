import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSignAndIdentify } from "../../src/core/hashes.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../src/core/json.ts";
import type { IdentifiedPdu, Pdu } from "../../src/core/pdu.ts";
import { verifyEventSignature } from "../../src/core/hashes.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { buildEvent, federationPdu } from "../../src/rooms/build-event.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { getEvent } from "../../src/storage/rooms/events.ts";
import { getCurrentMembership } from "../../src/storage/rooms/memberships.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { bearer, createTestUser } from "../support/users.ts";
import { makeRoom, version } from "../rooms/helpers.ts";

let fed: TestFederation;
let hs1: Homeserver;
let hs2: Homeserver;
let hs3: Homeserver;
beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test", "hs3.test"]);
  [hs1, hs2, hs3] = fed.servers as [Homeserver, Homeserver, Homeserver];
});
afterAll(() => fed?.destroy());

const v12 = version("12");
const alice = "@alice:hs1.test";
const bob = "@bob:hs2.test";
const enc = encodeURIComponent;

/** A federation request from `from` to hs1, X-Matrix signed by the real client. */
async function call(
  from: Homeserver,
  method: "GET" | "PUT" | "POST",
  path: string,
  body?: JsonObject,
): Promise<{ status: number; body: JsonValue | undefined }> {
  const res = await from.ctx.federation.client.request({ destination: "hs1.test", method, path, body });
  return { status: res.status, body: res.body };
}

function obj(v: JsonValue | undefined): JsonObject {
  if (!isJsonObject(v)) throw new Error(`not an object: ${JSON.stringify(v)}`);
  return v;
}

/** hs2's side of a join: make_join, sign the template, send_join. */
async function joinAsBob(roomId: string, opts: { omitMembers?: boolean } = {}) {
  const made = await call(
    hs2,
    "GET",
    `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(bob)}?ver=11&ver=12`,
  );
  expect(made.status).toBe(200);
  const template = obj(obj(made.body).event) as Pdu;
  const { pdu, eventId } = hashSignAndIdentify(template, v12, "hs2.test", hs2.ctx.keys.current);
  const omit = opts.omitMembers ? "?omit_members=true" : "";
  const sent = await call(
    hs2,
    "PUT",
    `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}${omit}`,
    pdu,
  );
  return { template, pdu, eventId, sent };
}

async function publicRoom(alias?: string): Promise<string> {
  const { roomId } = await makeRoom(hs1.ctx, alice, { preset: "public_chat", isPublic: true, alias });
  return roomId;
}

describe("federation endpoints served to other servers", () => {
  it("make_join offers a template only for supported versions and the server's own users", async () => {
    const roomId = await publicRoom();
    const noVer = await call(hs2, "GET", `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(bob)}`);
    expect(noVer.status).toBe(400);
    expect(noVer.body).toMatchObject({ errcode: "M_INCOMPATIBLE_ROOM_VERSION", room_version: "12" });
    const other = await call(
      hs2,
      "GET",
      `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc("@x:hs3.test")}?ver=12`,
    );
    expect(other.status).toBe(403);
    const unknown = await call(
      hs2,
      "GET",
      `/_matrix/federation/v1/make_join/${enc("!nope")}/${enc(bob)}?ver=12`,
    );
    expect(unknown.status).toBe(404);
    const made = await call(hs2, "GET", `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(bob)}?ver=12`);
    expect(made.body).toMatchObject({
      room_version: "12",
      event: {
        type: "m.room.member",
        room_id: roomId,
        sender: bob,
        state_key: bob,
        content: { membership: "join" },
      },
    });
  });

  it("send_join accepts a join signed by the joining server and answers with state and auth chain", async () => {
    const roomId = await publicRoom();
    const { sent, eventId } = await joinAsBob(roomId);
    expect(sent.status).toBe(200);
    const body = obj(sent.body);
    const state = (body.state as JsonObject[]).map((e) => e.type);
    expect(state).toContain("m.room.create");
    expect(state).toContain("m.room.member");
    expect(body.members_omitted).toBe(false);
    expect(body.servers_in_room).toContain("hs1.test");
    const returned = obj(body.event);
    expect(
      verifyEventSignature(
        returned,
        v12,
        "hs1.test",
        hs1.ctx.keys.current.keyId,
        hs1.ctx.keys.current.publicKey,
      ),
    ).toBe(true);
    expect((await getCurrentMembership(hs1.ctx.db, roomId, bob))?.eventId).toBe(eventId);

    // Omitting members: no member events in the state, and it says so.
    const carolRoom = await publicRoom();
    const omitted = obj((await joinAsBob(carolRoom, { omitMembers: true })).sent.body);
    expect(omitted.members_omitted).toBe(true);
    expect((omitted.state as JsonObject[]).some((e) => e.type === "m.room.member")).toBe(false);
  });

  it("send_join refuses a forged or mismatched join", async () => {
    const roomId = await publicRoom();
    const made = await call(hs2, "GET", `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(bob)}?ver=12`);
    const template = obj(obj(made.body).event) as Pdu;
    // Signed with hs3's key: the signature by hs2 does not verify.
    const forged = hashSignAndIdentify(template, v12, "hs2.test", hs3.ctx.keys.current);
    const res = await call(
      hs2,
      "PUT",
      `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(forged.eventId)}`,
      forged.pdu,
    );
    expect(res.status).toBe(400);
    const good = hashSignAndIdentify(template, v12, "hs2.test", hs2.ctx.keys.current);
    const wrongId = await call(
      hs2,
      "PUT",
      `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc("$other")}`,
      good.pdu,
    );
    expect(wrongId.status).toBe(400);
    const fromHs3 = await call(
      hs3,
      "PUT",
      `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(good.eventId)}`,
      good.pdu,
    );
    expect(fromHs3.status).toBe(403);
    expect(await getCurrentMembership(hs1.ctx.db, roomId, bob)).toBeUndefined();
  });

  it("accepts /send after a join, then serves events, state, auth chains and history to members only", async () => {
    const roomId = await publicRoom();
    const { pdu, eventId } = await joinAsBob(roomId);
    const join = { ...pdu, event_id: eventId } as IdentifiedPdu;
    const plId = (
      await hs1.ctx.db
        .selectFrom("current_state")
        .select("event_id")
        .where("room_id", "=", roomId)
        .where("type", "=", "m.room.power_levels")
        .executeTakeFirstOrThrow()
    ).event_id;
    const pl = (await getEvent(hs1.ctx.db, plId))!.pdu;
    const msg = buildEvent({
      version: v12,
      roomId,
      sender: bob,
      draft: { type: "m.room.message", content: { msgtype: "m.text", body: "hi from hs2" } },
      prevEvents: [join],
      authEvents: [pl, join],
      originServerTs: Date.now(),
      serverName: "hs2.test",
      key: hs2.ctx.keys.current,
    });
    const txn = await call(hs2, "PUT", "/_matrix/federation/v1/send/txn-1", {
      origin: "hs2.test",
      origin_server_ts: Date.now(),
      pdus: [federationPdu(v12, msg)],
    });
    expect(txn).toEqual({ status: 200, body: { pdus: { [msg.event_id]: {} } } });

    const ev = await call(hs2, "GET", `/_matrix/federation/v1/event/${enc(msg.event_id)}`);
    expect(obj(ev.body).pdus).toEqual([federationPdu(v12, msg)]);
    const ids = obj(
      (
        await call(
          hs2,
          "GET",
          `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(msg.event_id)}`,
        )
      ).body,
    );
    expect(ids.pdu_ids).toContain(eventId);
    expect((ids.auth_chain_ids as string[]).length).toBeGreaterThan(0);
    const state = obj(
      (await call(hs2, "GET", `/_matrix/federation/v1/state/${enc(roomId)}?event_id=${enc(msg.event_id)}`))
        .body,
    );
    expect((state.pdus as JsonObject[]).length).toBe((ids.pdu_ids as string[]).length);
    const authChain = obj(
      (await call(hs2, "GET", `/_matrix/federation/v1/event_auth/${enc(roomId)}/${enc(msg.event_id)}`)).body,
    );
    expect((authChain.auth_chain as JsonObject[]).map((e) => e.type)).toContain("m.room.create");

    const backfill = obj(
      (
        await call(
          hs2,
          "GET",
          `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(msg.event_id)}&limit=2`,
        )
      ).body,
    );
    expect((backfill.pdus as JsonObject[]).map((e) => e.type)).toEqual(["m.room.message", "m.room.member"]);
    const missing = obj(
      (
        await call(hs2, "POST", `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`, {
          earliest_events: [],
          latest_events: [msg.event_id],
          limit: 1,
        })
      ).body,
    );
    expect(missing.events).toEqual([federationPdu(v12, join)]);

    // hs3 has nobody in the room: no state, no history, no events.
    for (const path of [
      `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(msg.event_id)}`,
      `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(msg.event_id)}`,
      `/_matrix/federation/v1/event/${enc(msg.event_id)}`,
    ]) {
      expect((await call(hs3, "GET", path)).status).toBe(403);
    }
    expect((await call(hs2, "GET", `/_matrix/federation/v1/state_ids/${enc(roomId)}`)).status).toBe(400);
    expect((await call(hs2, "GET", `/_matrix/federation/v1/event/${enc("$unknown")}`)).status).toBe(404);
  });

  it("vouches for a restricted join by a member of an allowed room, signing the join", async () => {
    const space = await publicRoom();
    const { roomId } = await makeRoom(hs1.ctx, alice, {
      preset: "private_chat",
      initialState: [
        {
          type: "m.room.join_rules",
          stateKey: "",
          content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] },
        },
      ],
    });
    const path = (u: string) => `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(u)}?ver=12`;
    // Bob is in no allowed room yet.
    expect((await call(hs2, "GET", path(bob))).body).toMatchObject({ errcode: "M_UNABLE_TO_AUTHORISE_JOIN" });
    await joinAsBob(space);
    const made = await call(hs2, "GET", path(bob));
    expect(made.status).toBe(200);
    const template = obj(obj(made.body).event) as Pdu;
    expect(template.content).toEqual({ membership: "join", join_authorised_via_users_server: alice });
    const { pdu, eventId } = hashSignAndIdentify(template, v12, "hs2.test", hs2.ctx.keys.current);
    const sent = await call(
      hs2,
      "PUT",
      `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}`,
      pdu,
    );
    expect(sent.status).toBe(200);
    const returned = obj(obj(sent.body).event);
    const key = hs1.ctx.keys.current;
    expect(verifyEventSignature(returned, v12, "hs1.test", key.keyId, key.publicKey)).toBe(true);
    expect((await getCurrentMembership(hs1.ctx.db, roomId, bob))?.membership).toBe("join");
  });

  it("answers bad requests with Matrix errors, never 500", async () => {
    const roomId = await publicRoom();
    await joinAsBob(roomId);
    const unauthenticated = await hs1.app(["federation"]).request("/_matrix/federation/v1/send/x", {
      method: "PUT",
      body: JSON.stringify({ pdus: [] }),
    });
    expect(unauthenticated.status).toBe(401);
    const tooMany = await call(hs2, "PUT", "/_matrix/federation/v1/send/big", { pdus: Array(51).fill({}) });
    expect(tooMany.body).toMatchObject({ errcode: "M_BAD_JSON" });
    const notArray = await call(hs2, "PUT", "/_matrix/federation/v1/send/arr", { pdus: {} });
    expect(notArray.status).toBe(400);
    const gme = `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`;
    expect((await call(hs2, "POST", gme, { latest_events: "x" })).status).toBe(400);
    expect((await call(hs2, "POST", gme, { latest_events: [], limit: -1 })).status).toBe(400);
    expect((await call(hs2, "GET", `/_matrix/federation/v1/backfill/${enc(roomId)}`)).status).toBe(400);
    expect(
      (await call(hs2, "GET", `/_matrix/federation/v1/backfill/${enc(roomId)}?v=$x&limit=z`)).status,
    ).toBe(400);
    const badJoin = await call(hs2, "PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc("$x")}`, {
      type: "m.room.message",
    });
    expect(badJoin.body).toMatchObject({ errcode: "M_BAD_JSON" });
    const noVersion = await call(hs2, "PUT", `/_matrix/federation/v2/invite/${enc(roomId)}/${enc("$x")}`, {});
    expect(noVersion.status).toBe(400);
    const badLimit = await call(hs2, "POST", "/_matrix/federation/v1/publicRooms", { limit: "ten" });
    expect(badLimit.status).toBe(400);
  });

  it("serves history only as far as the room's history visibility lets the server see", async () => {
    const { roomId } = await makeRoom(hs1.ctx, alice, {
      preset: "public_chat",
      initialState: [
        { type: "m.room.history_visibility", stateKey: "", content: { history_visibility: "joined" } },
      ],
    });
    const before = await sendLocalEvent(hs1.ctx, {
      roomId,
      sender: alice,
      draft: { type: "m.room.message", content: { msgtype: "m.text", body: "before bob" } },
    });
    const { eventId: joinId } = await joinAsBob(roomId);
    const after = await sendLocalEvent(hs1.ctx, {
      roomId,
      sender: alice,
      draft: { type: "m.room.message", content: { msgtype: "m.text", body: "after bob" } },
    });
    const page = obj(
      (
        await call(
          hs2,
          "GET",
          `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(after.eventId)}&limit=20`,
        )
      ).body,
    );
    const ids = (page.pdus as JsonObject[]).map((e) => e.content);
    expect(ids).toContainEqual({ msgtype: "m.text", body: "after bob" });
    expect(ids).not.toContainEqual({ msgtype: "m.text", body: "before bob" });
    expect((await call(hs2, "GET", `/_matrix/federation/v1/event/${enc(before.eventId)}`)).status).toBe(403);
    expect((await call(hs2, "GET", `/_matrix/federation/v1/event/${enc(joinId)}`)).status).toBe(200);
  });

  it("make_leave / send_leave let a remote user leave", async () => {
    const roomId = await publicRoom();
    await joinAsBob(roomId);
    const made = await call(hs2, "GET", `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc(bob)}`);
    expect(made.status).toBe(200);
    const { pdu, eventId } = hashSignAndIdentify(
      obj(obj(made.body).event) as Pdu,
      v12,
      "hs2.test",
      hs2.ctx.keys.current,
    );
    const sent = await call(
      hs2,
      "PUT",
      `/_matrix/federation/v2/send_leave/${enc(roomId)}/${enc(eventId)}`,
      pdu,
    );
    expect(sent).toEqual({ status: 200, body: {} });
    expect((await getCurrentMembership(hs1.ctx.db, roomId, bob))?.membership).toBe("leave");
  });

  it("make_knock / send_knock return the stripped state with the full create event", async () => {
    const { roomId } = await makeRoom(hs1.ctx, alice, {
      preset: "private_chat",
      initialState: [{ type: "m.room.join_rules", stateKey: "", content: { join_rule: "knock" } }],
    });
    const made = await call(
      hs2,
      "GET",
      `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc(bob)}?ver=12`,
    );
    expect(made.status).toBe(200);
    const { pdu, eventId } = hashSignAndIdentify(
      obj(obj(made.body).event) as Pdu,
      v12,
      "hs2.test",
      hs2.ctx.keys.current,
    );
    const sent = await call(
      hs2,
      "PUT",
      `/_matrix/federation/v1/send_knock/${enc(roomId)}/${enc(eventId)}`,
      pdu,
    );
    expect(sent.status).toBe(200);
    const stateList = obj(sent.body).knock_room_state as JsonObject[];
    const create = stateList.find((e) => e.type === "m.room.create");
    expect(create?.signatures).toBeDefined();
    expect((await getCurrentMembership(hs1.ctx.db, roomId, bob))?.membership).toBe("knock");
  });

  it("refuses joins from a server the room's ACL bans", async () => {
    const roomId = await publicRoom();
    await sendLocalEvent(hs1.ctx, {
      roomId,
      sender: alice,
      draft: { type: "m.room.server_acl", stateKey: "", content: { allow: ["*"], deny: ["hs2.test"] } },
    });
    const made = await call(hs2, "GET", `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(bob)}?ver=12`);
    expect(made.status).toBe(403);
  });

  it("answers directory, profile and publicRooms queries", async () => {
    const roomId = await publicRoom("#lobby:hs1.test");
    const dir = await call(
      hs2,
      "GET",
      `/_matrix/federation/v1/query/directory?room_alias=${enc("#lobby:hs1.test")}`,
    );
    expect(dir).toEqual({ status: 200, body: { room_id: roomId, servers: ["hs1.test"] } });
    expect(
      (await call(hs2, "GET", `/_matrix/federation/v1/query/directory?room_alias=${enc("#nope:hs1.test")}`))
        .status,
    ).toBe(404);
    expect((await call(hs2, "GET", `/_matrix/federation/v1/query/directory`)).status).toBe(400);

    await createTestUser(hs1, "erin");
    const profile = await call(
      hs2,
      "GET",
      `/_matrix/federation/v1/query/profile?user_id=${enc("@erin:hs1.test")}`,
    );
    expect(profile.status).toBe(200);
    expect(
      (await call(hs2, "GET", `/_matrix/federation/v1/query/profile?user_id=${enc("@ghost:hs1.test")}`))
        .status,
    ).toBe(404);

    const rooms = obj((await call(hs2, "GET", "/_matrix/federation/v1/publicRooms")).body);
    expect((rooms.chunk as JsonObject[]).map((r) => r.room_id)).toContain(roomId);
    const searched = obj(
      (
        await call(hs2, "POST", "/_matrix/federation/v1/publicRooms", {
          filter: { generic_search_term: "zzz-none" },
        })
      ).body,
    );
    expect(searched.chunk).toEqual([]);
  });

  it("signs an invite for a local user, who then sees it in /sync with the room's stripped state", async () => {
    const dave = await createTestUser(hs1, "dave");
    const { roomId } = await makeRoom(hs2.ctx, bob, { preset: "private_chat", name: "Bob's room" });
    const createId = `$${roomId.slice(1)}`;
    const create = (await getEvent(hs2.ctx.db, createId))!.pdu;
    const member = await hs2.ctx.db
      .selectFrom("current_state")
      .select(["type", "event_id"])
      .where("room_id", "=", roomId)
      .where("type", "in", ["m.room.power_levels", "m.room.member", "m.room.join_rules"])
      .execute();
    const auth = await Promise.all(member.map(async (r) => (await getEvent(hs2.ctx.db, r.event_id))!.pdu));
    const ext = await hs2.ctx.db
      .selectFrom("forward_extremities")
      .select("event_id")
      .where("room_id", "=", roomId)
      .execute();
    const prev = await Promise.all(ext.map(async (r) => (await getEvent(hs2.ctx.db, r.event_id))!.pdu));
    const invite = buildEvent({
      version: v12,
      roomId,
      sender: bob,
      draft: { type: "m.room.member", stateKey: "@dave:hs1.test", content: { membership: "invite" } },
      prevEvents: prev,
      authEvents: auth,
      originServerTs: Date.now(),
      serverName: "hs2.test",
      key: hs2.ctx.keys.current,
    });
    const strippedName = { type: "m.room.name", state_key: "", sender: bob, content: { name: "Bob's room" } };
    const path = `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(invite.event_id)}`;
    // Without the create event, a v12 invite is refused.
    const noCreate = await call(hs2, "PUT", path, {
      room_version: "12",
      event: federationPdu(v12, invite),
      invite_room_state: [strippedName],
    });
    expect(noCreate.status).toBe(400);
    const badVersion = await call(hs2, "PUT", path, {
      room_version: "99",
      event: federationPdu(v12, invite),
      invite_room_state: [],
    });
    expect(badVersion.body).toMatchObject({ errcode: "M_INCOMPATIBLE_ROOM_VERSION" });

    const res = await call(hs2, "PUT", path, {
      room_version: "12",
      event: federationPdu(v12, invite),
      invite_room_state: [federationPdu(v12, create), strippedName],
    });
    expect(res.status).toBe(200);
    const signed = obj(obj(res.body).event);
    expect(
      verifyEventSignature(
        signed,
        v12,
        "hs1.test",
        hs1.ctx.keys.current.keyId,
        hs1.ctx.keys.current.publicKey,
      ),
    ).toBe(true);
    expect(
      verifyEventSignature(
        signed,
        v12,
        "hs2.test",
        hs2.ctx.keys.current.keyId,
        hs2.ctx.keys.current.publicKey,
      ),
    ).toBe(true);

    const sync = await hs1.app(["client"]).request("/_matrix/client/v3/sync", { headers: bearer(dave) });
    const body = (await sync.json()) as {
      rooms: { invite: Record<string, { invite_state: { events: JsonObject[] } }> };
    };
    const events = body.rooms.invite[roomId]?.invite_state.events ?? [];
    expect(events.map((e) => e.type).sort()).toEqual(["m.room.create", "m.room.member", "m.room.name"]);
    expect(events.find((e) => e.type === "m.room.member")).toMatchObject({
      state_key: "@dave:hs1.test",
      sender: bob,
    });
  });

  it("refuses invites that are not for a local user from the origin's own user", async () => {
    const { roomId } = await makeRoom(hs2.ctx, bob, { preset: "private_chat" });
    const path = (id: string) => `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(id)}`;
    const notMember = { type: "m.room.message", sender: bob, content: {} };
    expect((await call(hs2, "PUT", path("$x"), { room_version: "12", event: notMember })).body).toMatchObject(
      {
        errcode: "M_INVALID_PARAM",
      },
    );
    const forOther = {
      type: "m.room.member",
      sender: bob,
      state_key: "@zed:hs3.test",
      content: { membership: "invite" },
    };
    expect((await call(hs2, "PUT", path("$x"), { room_version: "12", event: forOther })).status).toBe(400);
  });
});
