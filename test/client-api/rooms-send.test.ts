import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startSession } from "../../src/accounts/session.ts";
import { updateMembership } from "../../src/rooms/membership.ts";
import { getEvent } from "../../src/storage/rooms/events.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { startTestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { roomEvents } from "../rooms/helpers.ts";
import { api, createRoomApi, enc, startRoomsHomeserver } from "./rooms-support.ts";

let hs: TestHomeserver;
let alice: Session;
let bob: Session;
let roomId: string;
let txn = 0;
const nextTxn = () => `t${++txn}`;

beforeAll(async () => {
  hs = await startRoomsHomeserver();
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
  roomId = await createRoomApi(hs, alice, { preset: "public_chat" });
  await updateMembership(hs.ctx, { roomId, sender: bob.userId, target: bob.userId, action: "join" });
});
afterAll(() => hs?.destroy());

const sendPath = (room: string, type: string, txnId: string) =>
  `/rooms/${enc(room)}/send/${enc(type)}/${enc(txnId)}`;
const text = (body: string) => ({ msgtype: "m.text", body });

describe("PUT /rooms/{roomId}/send/{eventType}/{txnId}", () => {
  it("stores the event and answers its id", async () => {
    const res = await api(hs, alice, "PUT", sendPath(roomId, "m.room.message", nextTxn()), text("hello"));
    expect(res.status).toBe(200);
    const stored = await getEvent(hs.ctx.db, res.body.event_id);
    expect(stored?.pdu).toMatchObject({
      type: "m.room.message",
      sender: alice.userId,
      content: text("hello"),
    });
  });

  it("is idempotent per device and transaction id; a reused id with another body is 400", async () => {
    const id = nextTxn();
    const first = await api(hs, alice, "PUT", sendPath(roomId, "m.room.message", id), text("once"));
    // Same body spelt differently is the same request.
    const retry = await api(
      hs,
      alice,
      "PUT",
      sendPath(roomId, "m.room.message", id),
      '{ "body":"once","msgtype" : "m.text" }',
    );
    expect(retry.status).toBe(200);
    expect(retry.body.event_id).toBe(first.body.event_id);
    expect((await roomEvents(hs.ctx, roomId)).filter((e) => e.pdu.content.body === "once")).toHaveLength(1);

    const different = await api(hs, alice, "PUT", sendPath(roomId, "m.room.message", id), text("twice"));
    expect(different.status).toBe(400);
    expect(different.body.errcode).toBe("M_INVALID_PARAM");

    // Another device of the same user, another user, another event type: other scopes.
    const otherDevice = await startSession(hs.ctx, alice.userId, { deviceId: "OTHER" });
    const viaOther = await api(hs, otherDevice, "PUT", sendPath(roomId, "m.room.message", id), text("once"));
    const viaBob = await api(hs, bob, "PUT", sendPath(roomId, "m.room.message", id), text("once"));
    const otherType = await api(hs, alice, "PUT", sendPath(roomId, "org.example.ping", id), text("once"));
    const ids = new Set([
      first.body.event_id,
      viaOther.body.event_id,
      viaBob.body.event_id,
      otherType.body.event_id,
    ]);
    expect(ids.size).toBe(4);

    // A new access token for the same device (refresh, re-login with device_id) is the same scope.
    const dave = await createTestUser(hs, "dave");
    await updateMembership(hs.ctx, { roomId, sender: dave.userId, target: dave.userId, action: "join" });
    const byDave = await api(hs, dave, "PUT", sendPath(roomId, "m.room.message", id), text("dave"));
    const daveAgain = await startSession(hs.ctx, dave.userId, { deviceId: dave.deviceId });
    const retried = await api(hs, daveAgain, "PUT", sendPath(roomId, "m.room.message", id), text("dave"));
    expect(retried.status).toBe(200);
    expect(retried.body.event_id).toBe(byDave.body.event_id);
  });

  it("users not in the room get 403 M_FORBIDDEN with the auth rules' reason", async () => {
    const carol = await createTestUser(hs, "carol");
    const res = await api(hs, carol, "PUT", sendPath(roomId, "m.room.message", nextTxn()), text("hi"));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errcode: "M_FORBIDDEN", error: expect.stringMatching(/not joined/) });
  });

  it("power levels decide who may send what", async () => {
    const room = await createRoomApi(hs, alice, {
      preset: "public_chat",
      power_level_content_override: { events_default: 20 },
    });
    await updateMembership(hs.ctx, { roomId: room, sender: bob.userId, target: bob.userId, action: "join" });
    const denied = await api(hs, bob, "PUT", sendPath(room, "m.room.message", nextTxn()), text("no"));
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatch(/power level/);
    const promote = await api(hs, alice, "GET", `/rooms/${enc(room)}/state/m.room.power_levels`);
    const content = { ...promote.body, users: { ...promote.body.users, [bob.userId]: 20 } };
    expect(
      (await api(hs, alice, "PUT", `/rooms/${enc(room)}/state/m.room.power_levels/`, content)).status,
    ).toBe(200);
    expect((await api(hs, bob, "PUT", sendPath(room, "m.room.message", nextTxn()), text("yes"))).status).toBe(
      200,
    );
  });

  it("an unknown room is 404 M_NOT_FOUND; a malformed room id is 400", async () => {
    const unknown = await api(
      hs,
      alice,
      "PUT",
      sendPath("!nowhere:hearth.test", "m.room.message", nextTxn()),
      text("x"),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    const malformed = await api(
      hs,
      alice,
      "PUT",
      sendPath("nowhere", "m.room.message", nextTxn()),
      text("x"),
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.errcode).toBe("M_INVALID_PARAM");
  });

  it("bad input is a 4xx, never a 500", async () => {
    const cases: Array<[string, unknown, number, string]> = [
      ["m.room.message", "not json", 400, "M_NOT_JSON"],
      ["m.room.message", "", 400, "M_NOT_JSON"],
      ["m.room.message", "[1]", 400, "M_BAD_JSON"],
      ["m.room.message", '"text"', 400, "M_BAD_JSON"],
      ["m.room.message", '{"body": 1.5}', 400, "M_BAD_JSON"],
      ["m.room.message", '{"body": 1.0}', 400, "M_BAD_JSON"],
      ["m.room.message", '{"n": 9007199254740992}', 400, "M_BAD_JSON"],
      ["m.room.message", '{"s": "\\ud800"}', 400, "M_BAD_JSON"],
      ["m.room.message", { body: "x".repeat(70_000) }, 413, "M_TOO_LARGE"],
      ["t".repeat(300), { body: "x" }, 413, "M_TOO_LARGE"],
    ];
    for (const [type, body, status, errcode] of cases) {
      const res = await api(hs, alice, "PUT", sendPath(roomId, type, nextTxn()), body);
      expect(res.status, `${type.slice(0, 20)} ${String(body).slice(0, 40)}`).toBe(status);
      expect(res.body.errcode).toBe(errcode);
    }
    // Path oddities.
    const badPercent = await hs
      .app()
      .request(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/%E0%A4%A`, {
        method: "PUT",
        headers: { authorization: `Bearer ${alice.accessToken}` },
        body: "{}",
      });
    expect(badPercent.status).toBeLessThan(500);
  });

  it("message rate limits answer 429 with Retry-After", async () => {
    const limited = await startTestHomeserver({ rate_limits: { messages: { per_second: 0.01, burst: 2 } } });
    try {
      const user = await createTestUser(limited, "limited");
      const room = await createRoomApi(limited, user);
      const codes = [];
      for (let i = 0; i < 3; i++)
        codes.push(
          (await api(limited, user, "PUT", sendPath(room, "m.room.message", `r${i}`), text("x"))).status,
        );
      expect(codes).toEqual([200, 200, 429]);
    } finally {
      await limited.destroy();
    }
  });
});

describe("redactions", () => {
  const redactPath = (room: string, eventId: string, txnId: string) =>
    `/rooms/${enc(room)}/redact/${enc(eventId)}/${enc(txnId)}`;

  for (const version of ["10", "11", "12"]) {
    it(`v${version}: own events are redacted; the stored PDU is redacted and redacted_by set`, async () => {
      const room = await createRoomApi(hs, alice, { room_version: version, preset: "public_chat" });
      const sent = await api(hs, alice, "PUT", sendPath(room, "m.room.message", nextTxn()), text("secret"));
      const res = await api(hs, alice, "PUT", redactPath(room, sent.body.event_id, nextTxn()), {
        reason: "oops",
      });
      expect(res.status).toBe(200);
      const redaction = await getEvent(hs.ctx.db, res.body.event_id);
      if (version === "10") {
        expect(redaction?.pdu.redacts).toBe(sent.body.event_id);
        expect(redaction?.pdu.content).toEqual({ reason: "oops" });
      } else {
        expect(redaction?.pdu.content).toEqual({ reason: "oops", redacts: sent.body.event_id });
        expect(redaction?.pdu).not.toHaveProperty("redacts");
      }
      const target = await getEvent(hs.ctx.db, sent.body.event_id);
      expect(target?.redactedBy).toBe(res.body.event_id);
      expect(target?.pdu.content).toEqual({});
      expect(target?.pdu).toHaveProperty("hashes");
    });
  }

  it("redacting another user's event needs the redact level (403 otherwise); moderators may", async () => {
    const mine = await api(hs, alice, "PUT", sendPath(roomId, "m.room.message", nextTxn()), text("alice's"));
    const denied = await api(hs, bob, "PUT", redactPath(roomId, mine.body.event_id, nextTxn()), {});
    expect(denied.status).toBe(403);
    expect((await getEvent(hs.ctx.db, mine.body.event_id))?.redactedBy).toBeNull();

    const bobs = await api(hs, bob, "PUT", sendPath(roomId, "m.room.message", nextTxn()), text("bob's"));
    const byMod = await api(hs, alice, "PUT", redactPath(roomId, bobs.body.event_id, nextTxn()), {});
    expect(byMod.status).toBe(200);
    expect((await getEvent(hs.ctx.db, bobs.body.event_id))?.redactedBy).toBe(byMod.body.event_id);
  });

  it("is idempotent per transaction id", async () => {
    const sent = await api(hs, alice, "PUT", sendPath(roomId, "m.room.message", nextTxn()), text("x"));
    const id = nextTxn();
    const a = await api(hs, alice, "PUT", redactPath(roomId, sent.body.event_id, id), {});
    const b = await api(hs, alice, "PUT", redactPath(roomId, sent.body.event_id, id), {});
    expect(b.body.event_id).toBe(a.body.event_id);
  });

  it("PUT /send with m.room.redaction (v1.18) works in every version, content.redacts required", async () => {
    for (const version of ["10", "12"]) {
      const room = await createRoomApi(hs, alice, { room_version: version });
      const sent = await api(hs, alice, "PUT", sendPath(room, "m.room.message", nextTxn()), text("x"));
      const res = await api(hs, alice, "PUT", sendPath(room, "m.room.redaction", nextTxn()), {
        redacts: sent.body.event_id,
      });
      expect(res.status).toBe(200);
      expect((await getEvent(hs.ctx.db, sent.body.event_id))?.redactedBy).toBe(res.body.event_id);
      const redaction = await getEvent(hs.ctx.db, res.body.event_id);
      if (version === "10") {
        expect(redaction?.pdu.redacts).toBe(sent.body.event_id);
        expect(redaction?.pdu.content).toEqual({});
      } else {
        expect(redaction?.pdu.content.redacts).toBe(sent.body.event_id);
      }
    }
    const missing = await api(hs, alice, "PUT", sendPath(roomId, "m.room.redaction", nextTxn()), {});
    expect(missing.status).toBe(400);
    const wrongType = await api(hs, alice, "PUT", sendPath(roomId, "m.room.redaction", nextTxn()), {
      redacts: 5,
    });
    expect(wrongType.status).toBe(400);
  });

  it("a redaction of an unknown event is stored but applies to nothing", async () => {
    const res = await api(hs, alice, "PUT", redactPath(roomId, "$unknown", nextTxn()), {});
    expect(res.status).toBe(200);
    const stored = await getEvent(hs.ctx.db, res.body.event_id);
    expect(stored?.pdu.type).toBe("m.room.redaction");
  });
});
