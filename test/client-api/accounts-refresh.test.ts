import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { OPEN_REGISTRATION, call, expectError, login, register, v3, whoami } from "./accounts-support.ts";

let hs: TestHomeserver;
let now = 1_700_000_000_000;
beforeAll(async () => {
  hs = await startTestHomeserver(
    {
      ...OPEN_REGISTRATION,
      auth: { refreshable_access_token_lifetime_ms: 60_000, refresh_token_lifetime_ms: 3_600_000 },
    },
    { clock: () => now },
  );
  await register(hs, "rita", "rita-pw");
});
afterAll(() => hs?.destroy());

interface Tokens {
  access: string;
  refresh: string;
}

async function loginRefreshable(): Promise<Tokens & { deviceId: string }> {
  const res = await login(hs, "rita", "rita-pw", { refresh_token: true });
  expect(res.body.expires_in_ms).toBe(60_000);
  return {
    access: res.body.access_token as string,
    refresh: res.body.refresh_token as string,
    deviceId: res.body.device_id as string,
  };
}

async function refresh(refreshToken: unknown) {
  return call(hs, "POST", v3("/refresh"), { body: { refresh_token: refreshToken } });
}

async function refreshOk(refreshToken: string): Promise<Tokens> {
  const res = await refresh(refreshToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.expires_in_ms).toBe(60_000);
  return { access: res.body.access_token as string, refresh: res.body.refresh_token as string };
}

describe("POST /refresh", () => {
  it("an expired access token → 401 soft_logout; refreshing gives working tokens on the same device", async () => {
    const t1 = await loginRefreshable();
    expect((await whoami(hs, t1.access)).status).toBe(200);
    now += 60_000;
    const expired = await whoami(hs, t1.access);
    expectError(expired, 401, "M_UNKNOWN_TOKEN");
    expect(expired.body.soft_logout).toBe(true);
    const t2 = await refreshOk(t1.refresh);
    expect(t2.refresh).not.toBe(t1.refresh);
    expect((await whoami(hs, t2.access)).body.device_id).toBe(t1.deviceId);
  });

  it("the old refresh token stays valid until the new access token is used", async () => {
    const t1 = await loginRefreshable();
    const lost = await refreshOk(t1.refresh); // the client never saw this answer
    const t2 = await refreshOk(t1.refresh); // so it retries with the old token
    // The retry replaced the pair the client lost.
    expectError(await whoami(hs, lost.access), 401, "M_UNKNOWN_TOKEN");
    expectError(await refresh(lost.refresh), 401, "M_UNKNOWN_TOKEN");
    // Until the new access token is used, the original access token keeps working too.
    expect((await whoami(hs, t1.access)).status).toBe(200);
    expect((await whoami(hs, t2.access)).status).toBe(200);
    // Using the new access token revoked the old refresh token and its access token.
    expectError(await refresh(t1.refresh), 401, "M_UNKNOWN_TOKEN");
    expectError(await whoami(hs, t1.access), 401, "M_UNKNOWN_TOKEN");
    expect((await whoami(hs, t2.access)).status).toBe(200);
  });

  it("the old refresh token is revoked when the new refresh token is used", async () => {
    const t1 = await loginRefreshable();
    const t2 = await refreshOk(t1.refresh);
    const t3 = await refreshOk(t2.refresh);
    expectError(await refresh(t1.refresh), 401, "M_UNKNOWN_TOKEN");
    expect((await whoami(hs, t3.access)).status).toBe(200);
    expectError(await refresh(t2.refresh), 401, "M_UNKNOWN_TOKEN");
    expect((await refresh(t3.refresh)).status).toBe(200);
  });

  it("an expired refresh token → 401 M_UNKNOWN_TOKEN with soft_logout", async () => {
    const t1 = await loginRefreshable();
    now += 3_600_000;
    const res = await refresh(t1.refresh);
    expectError(res, 401, "M_UNKNOWN_TOKEN");
    expect(res.body.soft_logout).toBe(true);
  });

  it("unknown, missing and mistyped refresh tokens", async () => {
    const unknown = await refresh("hrt_nope");
    expectError(unknown, 401, "M_UNKNOWN_TOKEN");
    expect(unknown.body.soft_logout).toBeUndefined();
    expectError(await call(hs, "POST", v3("/refresh"), { body: {} }), 400, "M_MISSING_PARAM");
    expectError(await refresh(42), 400, "M_BAD_JSON");
    expectError(await call(hs, "POST", v3("/refresh"), { body: "x" }), 400, "M_NOT_JSON");
  });

  it("an access token is not a refresh token", async () => {
    const t1 = await loginRefreshable();
    expectError(await refresh(t1.access), 401, "M_UNKNOWN_TOKEN");
  });

  it("logging out revokes the device's refresh tokens", async () => {
    const t1 = await loginRefreshable();
    expect((await call(hs, "POST", v3("/logout"), { token: t1.access })).status).toBe(200);
    expectError(await refresh(t1.refresh), 401, "M_UNKNOWN_TOKEN");
  });

  it("logging in again with the same device id revokes its refresh tokens", async () => {
    const t1 = await loginRefreshable();
    await login(hs, "rita", "rita-pw", { device_id: t1.deviceId });
    expectError(await refresh(t1.refresh), 401, "M_UNKNOWN_TOKEN");
  });

  it("is not served under r0 (it is a v1.3 endpoint)", async () => {
    const res = await call(hs, "POST", "/_matrix/client/r0/refresh", { body: { refresh_token: "x" } });
    expectError(res, 404, "M_UNRECOGNIZED");
  });
});
