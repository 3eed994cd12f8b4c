import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkContentHash,
  computeEventId,
  roomIdFromCreateEvent,
  verifyEventSignature,
} from "../../src/core/hashes.ts";
import { authEventIds, prevEventIds } from "../../src/core/pdu.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import { MatrixError } from "../../src/errors.ts";
import { getAliasRoomId } from "../../src/storage/rooms/room-aliases.ts";
import { getRoom } from "../../src/storage/rooms/rooms.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { currentState, makeRoom, roomEvents, stateAfterExtremity, version } from "./helpers.ts";

let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());

const alice = "@alice:hearth.test";
const bob = "@bob:hearth.test";

const kinds = (events: Awaited<ReturnType<typeof roomEvents>>) =>
  events.map((e) => (typeof e.pdu.state_key === "string" ? `${e.pdu.type}|${e.pdu.state_key}` : e.pdu.type));

describe("createRoom event order and content", () => {
  for (const v of ["10", "11", "12"]) {
    it(`v${v}: the spec's order, every event hashed, signed, identified and chained`, async () => {
      const { roomId } = await makeRoom(hs.ctx, alice, {
        version: version(v),
        preset: "public_chat",
        alias: `#order${v}:hearth.test`,
        initialState: [
          { type: "m.room.encryption", stateKey: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
        ],
        name: "Name",
        topic: "Topic",
        invite: [bob],
        isDirect: true,
      });
      const events = await roomEvents(hs.ctx, roomId);
      expect(kinds(events)).toEqual([
        "m.room.create|",
        `m.room.member|${alice}`,
        "m.room.power_levels|",
        "m.room.canonical_alias|",
        "m.room.join_rules|",
        "m.room.history_visibility|",
        "m.room.guest_access|",
        "m.room.encryption|",
        "m.room.name|",
        "m.room.topic|",
        `m.room.member|${bob}`,
      ]);
      const rv = version(v);
      const key = hs.ctx.keys.current;
      for (const [i, ev] of events.entries()) {
        const { event_id: _id, ...pdu } = ev.pdu;
        expect(computeEventId(pdu, rv)).toBe(ev.eventId);
        expect(checkContentHash(pdu, rv)).toBe(true);
        expect(verifyEventSignature(pdu, rv, "hearth.test", key.keyId, key.publicKey)).toBe(true);
        expect(ev.pdu.depth).toBe(i + 1);
        expect(prevEventIds(ev.pdu)).toEqual(i === 0 ? [] : [events[i - 1]!.eventId]);
        expect(ev.streamOrdering).toBeGreaterThan(i === 0 ? 0 : events[i - 1]!.streamOrdering!);
      }
      const [create, join, pl, alias, joinRules, hv, ga, , name, topic, invite] = events.map((e) => e.pdu);
      expect(create!.content.room_version).toBe(v);
      if (v === "10") expect(create!.content.creator).toBe(alice);
      else expect(create!.content).not.toHaveProperty("creator");
      if (v === "12") {
        expect(create).not.toHaveProperty("room_id");
        expect(roomId).toBe(roomIdFromCreateEvent(create!));
        expect(authEventIds(join!)).not.toContain(create!.event_id);
      } else {
        expect(create!.room_id).toBe(roomId);
        expect(roomId).toMatch(/^![A-Za-z]{18}:hearth\.test$/);
        expect(authEventIds(join!)).toContain(create!.event_id);
      }
      expect(join!.content).toEqual({ membership: "join" });
      expect(pl!.content).toEqual({
        users: v === "12" ? {} : { [alice]: 100 },
        users_default: 0,
        events: {
          "m.room.name": 50,
          "m.room.power_levels": 100,
          "m.room.history_visibility": 100,
          "m.room.canonical_alias": 50,
          "m.room.avatar": 50,
          "m.room.tombstone": v === "12" ? 150 : 100,
          "m.room.server_acl": 100,
          "m.room.encryption": 100,
        },
        events_default: 0,
        state_default: 50,
        ban: 50,
        kick: 50,
        redact: 50,
        invite: 50,
      });
      expect(alias!.content).toEqual({ alias: `#order${v}:hearth.test` });
      expect(joinRules!.content).toEqual({ join_rule: "public" });
      expect(hv!.content).toEqual({ history_visibility: "shared" });
      expect(ga!.content).toEqual({ guest_access: "forbidden" });
      expect(name!.content).toEqual({ name: "Name" });
      expect(topic!.content).toEqual({
        topic: "Topic",
        "m.topic": { "m.text": [{ mimetype: "text/plain", body: "Topic" }] },
      });
      expect(invite!.content).toEqual({ membership: "invite", is_direct: true });
      const stripped = (invite!.unsigned as { invite_room_state: Array<{ type: string }> }).invite_room_state;
      expect(stripped.map((s) => s.type)).toEqual([
        "m.room.create",
        "m.room.name",
        "m.room.topic",
        "m.room.join_rules",
        "m.room.canonical_alias",
        "m.room.encryption",
        "m.room.member",
      ]);
      expect(await getAliasRoomId(hs.ctx.db, `#order${v}:hearth.test`)).toBe(roomId);
      expect((await getRoom(hs.ctx.db, roomId))?.roomVersion).toBe(v);
      expect(await currentState(hs.ctx, roomId)).toEqual(await stateAfterExtremity(hs.ctx, roomId));
    });
  }

  it("private_chat: invite-only, members may invite, guests can join", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { version: version("11"), preset: "private_chat" });
    const byKind = new Map((await roomEvents(hs.ctx, roomId)).map((e) => [e.pdu.type, e.pdu.content]));
    expect(byKind.get("m.room.join_rules")).toEqual({ join_rule: "invite" });
    expect(byKind.get("m.room.guest_access")).toEqual({ guest_access: "can_join" });
    expect(byKind.get("m.room.power_levels")?.invite).toBe(0);
  });

  it("trusted_private_chat: invitees get the creator's power (v11) or become additional creators (v12)", async () => {
    const v11 = await makeRoom(hs.ctx, alice, {
      version: version("11"),
      preset: "trusted_private_chat",
      invite: [bob],
    });
    const pl11 = (await roomEvents(hs.ctx, v11.roomId)).find((e) => e.pdu.type === "m.room.power_levels")!;
    expect(pl11.pdu.content.users).toEqual({ [alice]: 100, [bob]: 100 });

    const v12 = await makeRoom(hs.ctx, alice, {
      version: version("12"),
      preset: "trusted_private_chat",
      invite: [bob],
      creationContent: { additional_creators: ["@carol:hearth.test", bob] },
    });
    const events = await roomEvents(hs.ctx, v12.roomId);
    expect(events[0]!.pdu.content.additional_creators).toEqual(["@carol:hearth.test", bob]);
    expect(events.find((e) => e.pdu.type === "m.room.power_levels")!.pdu.content.users).toEqual({});
  });

  it("initial_state overrides the preset; name and topic override initial_state", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, {
      preset: "public_chat",
      initialState: [
        { type: "m.room.join_rules", stateKey: "", content: { join_rule: "invite" } },
        { type: "m.room.name", stateKey: "", content: { name: "from initial_state" } },
        { type: "m.room.history_visibility", stateKey: "", content: { history_visibility: "joined" } },
      ],
      name: "from name",
    });
    const events = await roomEvents(hs.ctx, roomId);
    expect(kinds(events)).toEqual([
      "m.room.create|",
      `m.room.member|${alice}`,
      "m.room.power_levels|",
      "m.room.guest_access|",
      "m.room.join_rules|",
      "m.room.history_visibility|",
      "m.room.name|",
    ]);
    const state = await currentState(hs.ctx, roomId);
    const nameEvent = events.find((e) => e.eventId === state.get(stateTupleKey("m.room.name", "")));
    expect(nameEvent?.pdu.content).toEqual({ name: "from name" });
  });

  it("power_level_content_override is applied on top of the defaults", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, {
      version: version("11"),
      powerLevelContentOverride: { events_default: 10, users: { [alice]: 100, [bob]: 50 } },
    });
    const pl = (await roomEvents(hs.ctx, roomId)).find((e) => e.pdu.type === "m.room.power_levels")!;
    expect(pl.pdu.content.events_default).toBe(10);
    expect(pl.pdu.content.users).toEqual({ [alice]: 100, [bob]: 50 });
    expect(pl.pdu.content.kick).toBe(50);
  });

  it("state the auth rules refuse is 400 M_INVALID_ROOM_STATE and stores nothing", async () => {
    const before = await hs.ctx.db.selectFrom("rooms").select("room_id").execute();
    // Started one at a time: a rejection nobody awaits yet would be an unhandled rejection.
    const attempts = [
      // v11: taking the creator's own power away, then naming the room.
      () =>
        makeRoom(hs.ctx, alice, {
          version: version("11"),
          powerLevelContentOverride: { users: {}, state_default: 50 },
          name: "x",
        }),
      // v12: creators may not be listed in users.
      () =>
        makeRoom(hs.ctx, alice, {
          version: version("12"),
          powerLevelContentOverride: { users: { [alice]: 100 } },
        }),
      // A second create event.
      () => makeRoom(hs.ctx, alice, { initialState: [{ type: "m.room.create", stateKey: "", content: {} }] }),
    ];
    for (const attempt of attempts) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MatrixError);
      expect((err as MatrixError).errcode).toBe("M_INVALID_ROOM_STATE");
    }
    expect(await hs.ctx.db.selectFrom("rooms").select("room_id").execute()).toHaveLength(before.length);
  });

  it("a taken alias is M_ROOM_IN_USE and the second room is not created", async () => {
    await makeRoom(hs.ctx, alice, { alias: "#taken:hearth.test" });
    const count = async () => (await hs.ctx.db.selectFrom("rooms").select("room_id").execute()).length;
    const n = await count();
    const err = await makeRoom(hs.ctx, alice, { alias: "#taken:hearth.test" }).catch((e: unknown) => e);
    expect((err as MatrixError).errcode).toBe("M_ROOM_IN_USE");
    expect(await count()).toBe(n);
  });

  it("records the room's version, creator and directory visibility", async () => {
    const { roomId } = await makeRoom(hs.ctx, alice, { version: version("10"), isPublic: true });
    expect(await getRoom(hs.ctx.db, roomId)).toEqual({
      roomId,
      roomVersion: "10",
      creator: alice,
      isPublic: true,
    });
  });
});
