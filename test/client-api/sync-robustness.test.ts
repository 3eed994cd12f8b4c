import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc, RoomDriver } from "../sync/helpers.ts";

let hs: TestHomeserver;
let alice: Session;
let roomId: string;
let eventId: string;
beforeAll(async () => {
  hs = await startTestHomeserver();
  alice = await createTestUser(hs, "alice", { isAdmin: true });
  const rooms = new RoomDriver(hs);
  roomId = await rooms.createRoom(alice);
  eventId = await rooms.send(alice, roomId, "target");
});
afterAll(() => hs?.destroy());

const NUL = "\u0000";

describe("robustness of the sync endpoints", () => {
  it("odd input is a 4xx, never a 500", async () => {
    const me = enc(alice.userId);
    const room = enc(roomId);
    const requests: [string, string, unknown?][] = [
      ["PUT", `/user/${me}/account_data/${enc(`x${NUL}`)}`, {}],
      ["GET", `/user/${me}/account_data/${enc(`x${NUL}`)}`],
      ["PUT", `/user/${me}/rooms/${enc(`!r${NUL}:x`)}/account_data/t`, {}],
      ["GET", `/user/${me}/rooms/${enc(`!r${NUL}:x`)}/account_data/t`],
      ["PUT", `/user/${me}/rooms/${room}/tags/${enc(`t${NUL}`)}`, {}],
      ["DELETE", `/user/${me}/rooms/${room}/tags/${enc(`t${NUL}`)}`],
      ["GET", `/user/${me}/filter/${enc(`1${NUL}`)}`],
      ["GET", `/user/${enc(`@x${NUL}:y`)}/filter/1`],
      ["PUT", `/rooms/${enc(`!r${NUL}`)}/typing/${me}`, { typing: true }],
      ["PUT", `/rooms/${room}/typing/${me}`, { typing: true, timeout: 1e300 }],
      ["POST", `/rooms/${room}/receipt/m.read/${enc(`$e${NUL}`)}`, {}],
      ["POST", `/rooms/${room}/receipt/m.read/${enc(eventId)}`, { thread_id: `$t${NUL}` }],
      ["POST", `/rooms/${room}/receipt/m.read/${enc(eventId)}`, { thread_id: ["main"] }],
      ["POST", `/rooms/${room}/read_markers`, { "m.fully_read": `$e${NUL}` }],
      ["POST", `/rooms/${room}/read_markers`, { "m.read": "$unknown:x" }],
      ["PUT", `/presence/${me}/status`, { presence: "online", status_msg: `hi${NUL}` }],
      ["GET", `/presence/${enc(`@x${NUL}:y`)}/status`],
      ["GET", `/sync?since=${enc(`s1${NUL}`)}`],
      ["GET", `/sync?filter=${enc(`1${NUL}`)}`],
      ["GET", `/sync?timeout=99999999999999999999`],
      ["GET", `/sync?filter=${enc(JSON.stringify({ room: { rooms: [`!x${NUL}`] }, event_fields: [NUL] }))}`],
      ["POST", `/user/${me}/filter`, { event_fields: [`a${NUL}`], room: { not_rooms: [NUL] } }],
    ];
    for (const [method, path, body] of requests) {
      const res = await call(hs, alice, method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
    }
  });

  it("huge timeouts are capped rather than refused, and a since token from the future is harmless", async () => {
    const body = await call(hs, alice, "GET", `/sync?since=s999999_999_999_999_999_0_0&timeout=1`);
    expect(body.status).toBe(200);
  });
});
