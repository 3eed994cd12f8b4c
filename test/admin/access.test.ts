import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { makeRoom } from "../rooms/helpers.ts";
import { adminAndUser, adminCall, call, expectError, v1, v2 } from "./support.ts";

let hs: TestHomeserver;
let admin: Session;
let user: Session;
let roomId: string;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  let partial = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      // A write may end mid-line: keep the tail for the next one.
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  hs = await startTestHomeserver({}, { logger: pino({ level: "info" }, sink) });
  ({ admin, user } = await adminAndUser(hs));
  roomId = (await makeRoom(hs.ctx, admin.userId)).roomId;
});
afterAll(() => hs.destroy());

/** Every admin route but shared-secret registration, with a body where one is needed. */
function routes(): Array<[string, string, unknown?]> {
  const u = admin.userId;
  return [
    ["GET", v1("/server_version")],
    ["GET", v2("/users")],
    ["GET", v2(`/users/${u}`)],
    ["PUT", v2("/users/@new:hearth.test"), { password: "x" }],
    ["POST", v1(`/deactivate/${u}`), {}],
    ["POST", v1(`/reset_password/${u}`), { new_password: "x" }],
    ["GET", v1(`/users/${u}/admin`)],
    ["PUT", v1(`/users/${user.userId}/admin`), { admin: true }],
    ["GET", v1(`/users/${u}/joined_rooms`)],
    ["GET", v1(`/whois/${u}`)],
    ["GET", v2(`/users/${u}/devices`)],
    ["POST", v2(`/users/${u}/delete_devices`), { devices: [] }],
    ["GET", v2(`/users/${u}/devices/${admin.deviceId}`)],
    ["PUT", v2(`/users/${u}/devices/${admin.deviceId}`), { display_name: "x" }],
    ["DELETE", v2(`/users/${u}/devices/${admin.deviceId}`)],
    ["GET", v1("/rooms")],
    ["GET", v1(`/rooms/${roomId}`)],
    ["GET", v1(`/rooms/${roomId}/members`)],
    ["GET", v1(`/rooms/${roomId}/state`)],
    ["GET", v1(`/rooms/${roomId}/block`)],
    ["PUT", v1(`/rooms/${roomId}/block`), { block: true }],
    ["DELETE", v2(`/rooms/${roomId}`), {}],
    ["GET", v2(`/rooms/${roomId}/delete_status`)],
    ["GET", v2("/rooms/delete_status/someid")],
    ["GET", v1("/registration_tokens")],
    ["POST", v1("/registration_tokens/new"), {}],
    ["GET", v1("/registration_tokens/abc")],
    ["PUT", v1("/registration_tokens/abc"), {}],
    ["DELETE", v1("/registration_tokens/abc")],
  ];
}

describe("admin API access control", () => {
  it("gives a non-admin 403 M_FORBIDDEN on every route, and changes nothing", async () => {
    for (const [method, path, body] of routes()) {
      expectError(await call(hs, method, path, { token: user.accessToken, body }), 403, "M_FORBIDDEN");
    }
    // Nothing happened: the admin still has its device, the room is not blocked, alice is no admin.
    expect((await adminCall(hs, admin, "GET", v2(`/users/${admin.userId}/devices`))).body.total).toBe(1);
    expect((await adminCall(hs, admin, "GET", v1(`/rooms/${roomId}/block`))).body).toEqual({ block: false });
    expect((await adminCall(hs, admin, "GET", v1(`/users/${user.userId}/admin`))).body).toEqual({
      admin: false,
    });
  });

  it("gives 401 without a token", async () => {
    for (const [method, path, body] of routes()) {
      expectError(await call(hs, method, path, { body }), 401, "M_MISSING_TOKEN");
    }
  });

  it("answers server_version to an admin", async () => {
    const res = await adminCall(hs, admin, "GET", v1("/server_version"));
    expect(res.status).toBe(200);
    expect(res.body.server_version).toMatch(/^Hearth /);
  });

  it("logs every admin action with the admin's user id", async () => {
    await adminCall(hs, admin, "PUT", v1(`/rooms/${roomId}/block`), { block: false });
    await adminCall(hs, admin, "POST", v1("/registration_tokens/new"), { token: "logged" });
    const actions = logLines.filter((l) => l.admin === admin.userId).map((l) => l.action);
    expect(actions).toEqual(expect.arrayContaining(["unblock_room", "create_registration_token"]));
    // The refused attempts above logged nothing as admin actions by alice.
    expect(logLines.filter((l) => l.admin === user.userId)).toEqual([]);
  });

  it("unknown admin paths are 404 M_UNRECOGNIZED", async () => {
    expectError(await adminCall(hs, admin, "GET", v1("/no_such_thing")), 404, "M_UNRECOGNIZED");
  });
});
