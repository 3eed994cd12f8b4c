import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { roomDriver, text, startReadTestHomeserver } from "./room-driver.ts";
import { call, enc } from "./room-read-support.ts";

let hs: TestHomeserver;
let alice: Session;
let roomId: string;
let eventId: string;

beforeAll(async () => {
  hs = await startReadTestHomeserver();
  alice = await createTestUser(hs, "alice");
  const rooms = roomDriver(hs);
  roomId = await rooms.createRoom(alice, { preset: "public_chat" });
  eventId = await rooms.send(alice, roomId, text("hi"));
});
afterAll(() => hs?.destroy());

const weirdSegments = [
  "%00",
  "!a%00b:hearth.test",
  "$a%00",
  "%ZZ",
  "%E0%A4%A",
  "!",
  "$",
  "%23",
  "x".repeat(5000),
  "%F0%9F%98%80",
];
const weirdQueries = [
  "dir=b&from=t99999999999999999_1",
  "dir=b&from=t-0_0",
  "dir=f&from=t1_1&to=s99999999999999999",
  "dir=b&limit=99999999999999999999",
  "dir=b&limit=1e3",
  "dir=b&limit=%00",
  "dir=b&filter=%00",
  `dir=b&filter=${enc(JSON.stringify({ types: ["\u0000"], senders: ["\u0000"], rooms: ["\u0000"] }))}`,
  `dir=b&filter=${enc(JSON.stringify({ types: [1], lazy_load_members: "yes" }))}`,
  "dir=b&from=&to=",
  "dir=f&recurse=true&include=all",
];

describe("no bad input gives a 500", () => {
  it("path parameters", async () => {
    for (const seg of weirdSegments) {
      const paths = [
        `/rooms/${seg}/messages?dir=b`,
        `/rooms/${seg}/event/${enc(eventId)}`,
        `/rooms/${enc(roomId)}/event/${seg}`,
        `/rooms/${enc(roomId)}/context/${seg}`,
        `/rooms/${seg}/aliases`,
        `/directory/room/${seg}`,
        `/directory/list/room/${seg}`,
        `/profile/${seg}`,
        `/profile/${enc(alice.userId)}/${seg}`,
        `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${seg}`,
        `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(eventId)}/${seg}/${seg}`,
        `/_matrix/client/v1/rooms/${seg}/threads`,
      ];
      for (const path of paths) {
        const res = await call(hs, "GET", path, alice);
        expect(res.status, path).toBeLessThan(500);
        expect(typeof res.body.errcode === "string" || res.status === 200, path).toBe(true);
      }
      for (const [method, path, body] of [
        ["PUT", `/directory/room/${seg}`, { room_id: roomId }],
        ["DELETE", `/directory/room/${seg}`, undefined],
        ["PUT", `/directory/list/room/${seg}`, { visibility: "public" }],
        ["PUT", `/profile/${enc(alice.userId)}/${seg}`, { x: 1 }],
        ["DELETE", `/profile/${seg}/displayname`, undefined],
      ] as const) {
        const res = await call(hs, method, path, alice, body);
        expect(res.status, `${method} ${path}`).toBeLessThan(500);
      }
    }
  });

  it("query parameters", async () => {
    for (const q of weirdQueries) {
      for (const path of [
        `/rooms/${enc(roomId)}/messages?${q}`,
        `/rooms/${enc(roomId)}/context/${enc(eventId)}?${q}`,
        `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(eventId)}?${q}`,
        `/_matrix/client/v1/rooms/${enc(roomId)}/threads?${q}`,
        `/publicRooms?${q}&since=${enc("\u0000")}`,
      ]) {
        const res = await call(hs, "GET", path, alice);
        expect(res.status, path).toBeLessThan(500);
      }
    }
  });

  it("bodies", async () => {
    const bodies: unknown[] = [
      "",
      "[]",
      "null",
      "{",
      "1",
      [],
      { room_id: "!a\u0000:hearth.test" },
      { room_id: ["x"] },
    ];
    for (const body of bodies) {
      for (const [method, path] of [
        ["PUT", `/directory/room/${enc("#robust:hearth.test")}`],
        ["PUT", `/directory/list/room/${enc(roomId)}`],
        ["POST", "/publicRooms"],
        ["POST", "/user_directory/search"],
        ["PUT", `/profile/${enc(alice.userId)}/displayname`],
      ] as const) {
        const res = await call(hs, method, path, alice, body);
        expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      }
    }
    const nulProfile = await call(hs, "PUT", `/profile/${enc(alice.userId)}/org.example.x`, alice, {
      "org.example.x": { "a\u0000": "b" },
    });
    expect(nulProfile.status).toBe(400);
    const nulSearch = await call(hs, "POST", "/user_directory/search", alice, { search_term: "a\u0000" });
    expect(nulSearch.status).toBe(400);
    const nulPublic = await call(hs, "POST", "/publicRooms", alice, {
      since: "\u0000",
      filter: { generic_search_term: "\u0000", room_types: ["\u0000", null] },
    });
    expect(nulPublic.status).toBeLessThan(500);
  });
});
