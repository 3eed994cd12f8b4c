import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { api, createRoomApi, enc, startRoomsHomeserver } from "./rooms-support.ts";

let hs: TestHomeserver;
let alice: Session;
let roomIds: Record<string, string>;

beforeAll(async () => {
  hs = await startRoomsHomeserver();
  alice = await createTestUser(hs, "alice");
  roomIds = {};
  for (const v of ["10", "11", "12"]) roomIds[v] = await createRoomApi(hs, alice, { room_version: v });
});
afterAll(() => hs?.destroy());

/** Odd but well-formed requests: each must get a Matrix error or succeed, never a 500. */
describe("room writes never answer bad input with a 500", () => {
  const state = (roomId: string, type: string, key = "") =>
    `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(key)}`;
  const send = (roomId: string, type: string, txn: string) =>
    `/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txn)}`;
  let n = 0;

  for (const v of ["10", "11", "12"]) {
    it(`v${v}`, async () => {
      const roomId = roomIds[v]!;
      const requests: Array<[string, string, unknown]> = [
        ["PUT", state(roomId, "m.room.create"), { room_version: v }],
        ["PUT", state(roomId, "m.room.member", alice.userId), {}],
        ["PUT", state(roomId, "m.room.member", alice.userId), { membership: "xyz" }],
        ["PUT", state(roomId, "m.room.member", alice.userId), { membership: 5 }],
        ["PUT", state(roomId, "m.room.member", "@nobody:hearth.test"), { membership: "join" }],
        ["PUT", state(roomId, "m.room.member", "@nobody:hearth.test"), { membership: "knock" }],
        ["PUT", state(roomId, "m.room.power_levels"), { users: "everyone" }],
        ["PUT", state(roomId, "m.room.power_levels"), { ban: "50" }],
        ["PUT", state(roomId, "m.room.power_levels"), { users: { [alice.userId]: 9007199254740991 } }],
        ["PUT", state(roomId, "m.room.join_rules"), { join_rule: ["public"] }],
        ["PUT", state(roomId, "m.room.canonical_alias"), { alias: 5 }],
        ["PUT", state(roomId, "m.room.canonical_alias"), { alt_aliases: "x" }],
        ["PUT", state(roomId, "m.room.third_party_invite", "token"), { display_name: "x" }],
        ["PUT", send(roomId, "m.room.member", `t${++n}`), { membership: "join" }],
        ["PUT", send(roomId, "m.room.create", `t${++n}`), {}],
        ["PUT", send(roomId, "m.room.redaction", `t${++n}`), { redacts: "$x", reason: 5 }],
        ["PUT", `/rooms/${enc(roomId)}/redact/${enc("$" + "x".repeat(300))}/t${++n}`, {}],
        ["PUT", send(roomId, "m.room.message", `t${++n}`), { "m.relates_to": { event_id: 5 } }],
        ["PUT", send(roomId, "m.room.message", `t${++n}`), { a: { b: { c: [[[[[{}]]]]] } } }],
        ["PUT", send(roomId, "m.room.message", `t${++n}`), `{"deep": ${"[".repeat(600)}${"]".repeat(600)}}`],
        ["PUT", send(roomId, "m.room.message", "x".repeat(2000)), {}],
        ["PUT", send(roomId, "m.room.redaction", `t${++n}`), { redacts: "$a\u0000" }],
        [
          "PUT",
          send(roomId, "m.room.message", `t${++n}`),
          { "m.relates_to": { event_id: "$a\u0000", rel_type: "m\u0000" } },
        ],
        ["PUT", send(roomId, "m.room\u0000message", `t${++n}`), {}],
        ["PUT", state(roomId, "org.example", "a\u0000b"), {}],
        [
          "PUT",
          state(roomId, "m.room.join_rules"),
          { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!a\u0000" }] },
        ],
        ["POST", `/rooms/${enc(roomId)}/join`, {}],
        ["POST", `/rooms/${enc(roomId)}/kick`, { user_id: "@" }],
        ["POST", `/rooms/${enc(roomId)}/ban`, { user_id: "@x:" }],
        ["POST", `/rooms/${enc(roomId)}/invite`, { user_id: alice.userId.padEnd(300, "x") }],
        [
          "POST",
          `/rooms/${enc(roomId)}/invite`,
          { id_server: "id.example", medium: "email", address: "a@b.c" },
        ],
        ["POST", `/rooms/${enc(roomId)}/join`, { third_party_signed: {} }],
        ["GET", `/rooms/${enc(roomId)}/members?membership=`, undefined],
        ["GET", `${state(roomId, "m.room.name")}?format=`, undefined],
        [
          "POST",
          "/createRoom",
          { initial_state: [{ type: "m.room.member", state_key: "@x:hearth.test", content: {} }] },
        ],
        ["POST", "/createRoom", { initial_state: [{ type: "m.room.power_levels", content: { users: [] } }] }],
        [
          "POST",
          "/createRoom",
          {
            creation_content: { additional_creators: "x" },
            preset: "trusted_private_chat",
            invite: ["@b:hearth.test"],
          },
        ],
        ["POST", "/createRoom", { creation_content: { additional_creators: ["nope"] } }],
        ["POST", "/createRoom", { creation_content: { "m.federate": "no" } }],
        ["POST", "/createRoom", { name: "x".repeat(70_000) }],
        ["POST", "/createRoom", { invite: [alice.userId] }],
        ["POST", "/createRoom", { initial_state: [{ type: "a\u0000", content: {} }] }],
        ["POST", "/createRoom", { initial_state: [{ type: "a", state_key: "\u0000", content: {} }] }],
        ["POST", "/createRoom", { name: "nul \u0000 in content is fine" }],
      ];
      for (const [method, path, body] of requests) {
        const res = await api(hs, alice, method, path, body);
        expect(
          res.status,
          `${method} ${path.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 80)}`,
        ).toBeLessThan(500);
        if (res.status >= 400) expect(res.body.errcode).toMatch(/^M_/);
      }
    });
  }
});
