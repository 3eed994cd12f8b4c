import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import {
  OPEN_REGISTRATION,
  call,
  expectError,
  passwordAuth,
  register,
  v3,
  type Registered,
} from "./accounts-support.ts";

let hs: TestHomeserver;
let now = 1_700_000_000_000;
let user: Registered;
beforeAll(async () => {
  hs = await startTestHomeserver(OPEN_REGISTRATION, { clock: () => now });
  user = await register(hs, "robust", "robust-pw");
});
afterAll(() => hs?.destroy());

const ENDPOINTS: Array<[string, string]> = [
  ["POST", v3("/register")],
  ["POST", v3("/register?kind=user")],
  ["GET", v3("/register/available?username=%00%ff")],
  ["GET", v3("/register/available?username=%ff")],
  ["GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token="],
  ["GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=%00"],
  ["GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=%ff"],
  ["POST", v3("/login")],
  ["POST", "/_matrix/client/v1/login/get_token"],
  ["POST", v3("/refresh")],
  ["POST", v3("/logout")],
  ["POST", v3("/account/password")],
  ["POST", v3("/account/deactivate")],
  ["PUT", v3("/devices/SOMEDEVICE")],
  ["DELETE", v3("/devices/SOMEDEVICE")],
  ["GET", v3("/devices/%00")],
  ["GET", v3("/devices/%ff")],
  ["PUT", v3("/devices/%00")],
  ["DELETE", v3("/devices/a%00b")],
  ["GET", v3("/pushrules/global/override/%00")],
  ["GET", v3("/pushrules/global/%ff/x/enabled")],
  ["POST", v3("/delete_devices")],
];

const BODIES: string[] = [
  "",
  "null",
  "[]",
  "{}",
  '"text"',
  "12",
  "{not json",
  '{"auth": 1}',
  '{"auth": []}',
  '{"auth": {"type": null, "session": null}}',
  '{"auth": {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": {}}}}',
  '{"auth": {"type": "m.login.password", "identifier": [], "password": []}}',
  '{"auth": {"type": "m.login.password", "user": "@:", "password": ""}}',
  '{"auth": {"type": "m.login.dummy", "session": "' + "s".repeat(10_000) + '"}}',
  '{"username": null, "password": null, "device_id": null}',
  '{"username": "\\u0000", "device_id": "\\ud800"}',
  '{"initial_device_display_name": "a\\u0000b", "auth": {"type": "m.login.dummy"}}',
  '{"type": "m.login.password", "user": "robust", "password": "robust-pw", "initial_device_display_name": "\\u0000"}',
  '{"type": "m.login.password", "user": "a\\u0000", "password": "x"}',
  '{"auth": {"type": "m.login.dummy", "session": "\\u0000"}}',
  '{"auth": {"type": "m.login.registration_token", "token": "\\u0000"}}',
  '{"display_name": "\\u0000"}',
  '{"devices": ["\\u0000"]}',
  '{"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "' +
    "x".repeat(5000) +
    '"}, "password": "x"}',
  '{"type": "m.login.token", "token": ""}',
  '{"refresh_token": ""}',
  '{"new_password": "x", "logout_devices": null}',
  '{"devices": [null]}',
  '{"devices": []}',
  '{"display_name": null}',
  "[".repeat(5000) + "]".repeat(5000),
];

describe("no bad input makes a 500", () => {
  it.each(ENDPOINTS)("%s %s", async (method, path) => {
    for (const body of method === "GET" ? [undefined] : BODIES) {
      // A fresh session each time: logout and deactivation attempts may end the previous one.
      const fresh = await startSession(hs.ctx, user.userId);
      for (const token of [undefined, fresh.accessToken, "hat_bogus"]) {
        const res = await hs.app().request(path, {
          method,
          headers: {
            "content-type": "application/json",
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          body,
        });
        expect(res.status, `${method} ${path} ${body?.slice(0, 80)}`).toBeLessThan(500);
        const json = (await res.json()) as Record<string, unknown>;
        if (res.status >= 400 && res.status !== 401) expect(json.errcode).toMatch(/^M_/);
      }
    }
    // The password stage is rate limited; give the next endpoint a fresh bucket.
    now += 3_600_000;
  });
});

describe("user-interactive auth sessions expire", () => {
  it("after 15 minutes the session is unknown", async () => {
    const user = await register(hs, "patient", "patient-pw");
    const first = await call(hs, "POST", v3("/delete_devices"), {
      token: user.accessToken,
      body: { devices: ["X"] },
    });
    now += 15 * 60_000;
    const res = await call(hs, "POST", v3("/delete_devices"), {
      token: user.accessToken,
      body: { devices: ["X"], auth: passwordAuth(first.body.session, "patient", "patient-pw") },
    });
    expectError(res, 400, "M_UNKNOWN");
  });
});
