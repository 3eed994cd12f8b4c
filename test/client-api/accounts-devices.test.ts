import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import {
  OPEN_REGISTRATION,
  call,
  expectError,
  login,
  passwordAuth,
  register,
  v3,
  whoami,
  type Registered,
} from "./accounts-support.ts";

let hs: TestHomeserver;
let now = 1_700_000_000_000;
let dana: Registered;
beforeAll(async () => {
  hs = await startTestHomeserver(OPEN_REGISTRATION, { clock: () => now });
  dana = await register(hs, "dana", "dana-pw", { device_id: "DANA1", initial_device_display_name: "Desk" });
});
afterAll(() => hs?.destroy());

async function newDevice(deviceId?: string): Promise<{ token: string; deviceId: string }> {
  const res = await login(hs, "dana", "dana-pw", deviceId === undefined ? {} : { device_id: deviceId });
  return { token: res.body.access_token as string, deviceId: res.body.device_id as string };
}

describe("GET /devices and /devices/{deviceId}", () => {
  it("lists the user's devices with name and last seen; absent fields are omitted", async () => {
    const second = await newDevice("DANA2");
    now += 120_000;
    await whoami(hs, second.token);
    const res = await call(hs, "GET", v3("/devices"), { token: dana.accessToken });
    expect(res.status).toBe(200);
    const devices = res.body.devices as Array<Record<string, unknown>>;
    expect(devices.find((d) => d.device_id === "DANA2")).toEqual({ device_id: "DANA2", last_seen_ts: now });
    expect(devices.find((d) => d.device_id === "DANA1")).toMatchObject({
      device_id: "DANA1",
      display_name: "Desk",
    });
  });

  it("shows one device; another user's or an unknown device → 404 M_NOT_FOUND", async () => {
    expect((await call(hs, "GET", v3("/devices/DANA1"), { token: dana.accessToken })).body).toMatchObject({
      device_id: "DANA1",
      display_name: "Desk",
    });
    const eve = await register(hs, "eve");
    expectError(await call(hs, "GET", v3("/devices/DANA1"), { token: eve.accessToken }), 404, "M_NOT_FOUND");
    expectError(await call(hs, "GET", v3("/devices/NOPE"), { token: dana.accessToken }), 404, "M_NOT_FOUND");
  });

  it("device ids with reserved characters round-trip through the path", async () => {
    const odd = await newDevice("odd/id+x y");
    const res = await call(hs, "GET", v3(`/devices/${encodeURIComponent("odd/id+x y")}`), {
      token: odd.token,
    });
    expect(res.body.device_id).toBe("odd/id+x y");
  });

  it("needs an access token", async () => {
    expectError(await call(hs, "GET", v3("/devices")), 401, "M_MISSING_TOKEN");
  });
});

describe("PUT /devices/{deviceId}", () => {
  it("renames a device; an empty body changes nothing", async () => {
    const put = (body: unknown) => call(hs, "PUT", v3("/devices/DANA1"), { token: dana.accessToken, body });
    expect(await put({ display_name: "Desktop" })).toMatchObject({ status: 200, body: {} });
    expect((await put({})).status).toBe(200);
    expect((await call(hs, "GET", v3("/devices/DANA1"), { token: dana.accessToken })).body.display_name).toBe(
      "Desktop",
    );
  });

  it("an unknown device → 404 (only application services may create devices)", async () => {
    const res = await call(hs, "PUT", v3("/devices/NEWONE"), {
      token: dana.accessToken,
      body: { display_name: "x" },
    });
    expectError(res, 404, "M_NOT_FOUND");
    expectError(
      await call(hs, "PUT", v3("/devices/NEWONE"), { token: dana.accessToken, body: {} }),
      404,
      "M_NOT_FOUND",
    );
  });

  it("bad bodies → 400", async () => {
    const put = (body: unknown) => call(hs, "PUT", v3("/devices/DANA1"), { token: dana.accessToken, body });
    expectError(await put({ display_name: 3 }), 400, "M_BAD_JSON");
    expectError(await put("nope"), 400, "M_NOT_JSON");
    expectError(await put("[]"), 400, "M_BAD_JSON");
  });
});

describe("DELETE /devices/{deviceId}", () => {
  it("asks for the password, then deletes the device and its tokens", async () => {
    const victim = await newDevice();
    const path = v3(`/devices/${victim.deviceId}`);
    const first = await call(hs, "DELETE", path, { token: dana.accessToken });
    expect(first.status).toBe(401);
    expect(first.body).toEqual({
      flows: [{ stages: ["m.login.password"] }],
      params: {},
      session: expect.any(String),
    });
    const wrong = await call(hs, "DELETE", path, {
      token: dana.accessToken,
      body: { auth: passwordAuth(first.body.session, "dana", "nope") },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe("M_FORBIDDEN");
    expect((await whoami(hs, victim.token)).status).toBe(200);
    const ok = await call(hs, "DELETE", path, {
      token: dana.accessToken,
      body: { auth: passwordAuth(first.body.session, "dana", "dana-pw") },
    });
    expect(ok).toMatchObject({ status: 200, body: {} });
    expectError(await whoami(hs, victim.token), 401, "M_UNKNOWN_TOKEN");
    expectError(await call(hs, "GET", path, { token: dana.accessToken }), 404, "M_NOT_FOUND");
  });

  it("deleting a device that is already gone succeeds", async () => {
    const first = await call(hs, "DELETE", v3("/devices/GONE"), { token: dana.accessToken, body: {} });
    const ok = await call(hs, "DELETE", v3("/devices/GONE"), {
      token: dana.accessToken,
      body: { auth: passwordAuth(first.body.session, "dana", "dana-pw") },
    });
    expect(ok.status).toBe(200);
  });

  it("a session for one device cannot delete another", async () => {
    const a = await newDevice();
    const b = await newDevice();
    const first = await call(hs, "DELETE", v3(`/devices/${a.deviceId}`), { token: dana.accessToken });
    const res = await call(hs, "DELETE", v3(`/devices/${b.deviceId}`), {
      token: dana.accessToken,
      body: { auth: passwordAuth(first.body.session, "dana", "dana-pw") },
    });
    expectError(res, 403, "M_FORBIDDEN");
    expect((await whoami(hs, b.token)).status).toBe(200);
  });

  it("cannot touch another user's device", async () => {
    const frank = await register(hs, "frank", "frank-pw");
    const first = await call(hs, "DELETE", v3("/devices/DANA1"), { token: frank.accessToken });
    const res = await call(hs, "DELETE", v3("/devices/DANA1"), {
      token: frank.accessToken,
      body: { auth: passwordAuth(first.body.session, "frank", "frank-pw") },
    });
    expect(res.status).toBe(200);
    expect((await whoami(hs, dana.accessToken)).status).toBe(200);
  });
});

describe("POST /delete_devices", () => {
  const deleteDevices = (body: unknown) =>
    call(hs, "POST", v3("/delete_devices"), { token: dana.accessToken, body });

  it("deletes several devices after the password stage", async () => {
    const a = await newDevice();
    const b = await newDevice();
    const first = await deleteDevices({ devices: [a.deviceId, b.deviceId] });
    expect(first.status).toBe(401);
    const ok = await deleteDevices({
      devices: [b.deviceId, a.deviceId, a.deviceId],
      auth: passwordAuth(first.body.session, "dana", "dana-pw"),
    });
    expect(ok.status).toBe(200);
    expectError(await whoami(hs, a.token), 401, "M_UNKNOWN_TOKEN");
    expectError(await whoami(hs, b.token), 401, "M_UNKNOWN_TOKEN");
    expect((await whoami(hs, dana.accessToken)).status).toBe(200);
  });

  it("the device list cannot change during the session", async () => {
    const a = await newDevice();
    const first = await deleteDevices({ devices: ["X"] });
    const res = await deleteDevices({
      devices: [a.deviceId],
      auth: passwordAuth(first.body.session, "dana", "dana-pw"),
    });
    expectError(res, 403, "M_FORBIDDEN");
    expect((await whoami(hs, a.token)).status).toBe(200);
  });

  it("bad bodies → 400 before any auth", async () => {
    expectError(await deleteDevices({}), 400, "M_MISSING_PARAM");
    expectError(await deleteDevices({ devices: "DANA1" }), 400, "M_BAD_JSON");
    expectError(await deleteDevices({ devices: [1] }), 400, "M_BAD_JSON");
    expectError(await deleteDevices(""), 400, "M_NOT_JSON");
  });
});
