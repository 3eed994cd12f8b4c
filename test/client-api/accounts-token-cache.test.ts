import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN_CACHE_TTL_MS } from "../../src/accounts/token-cache.ts";
import { deleteAllDevices } from "../../src/storage/accounts/devices.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { OPEN_REGISTRATION, call, expectError, login, passwordAuth, v3, whoami } from "./accounts-support.ts";

/*
 * Access tokens are cached per instance. Each test first uses the token (so it is cached), then revokes
 * it by one of the paths that end a token, and checks that the very next request is refused: a cache
 * that missed an invalidation path would still answer 200.
 */

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
});
afterAll(() => hs?.destroy());

let seq = 0;
const PASSWORD = "token-cache-password";

/** A fresh user with two logged-in devices, both tokens already used once (so cached). */
async function userWithTwoDevices(): Promise<{ userId: string; a: string; b: string; bDevice: string }> {
  const localpart = `cache${++seq}`;
  const s = await createTestUser(hs, localpart, { password: PASSWORD });
  const second = await login(hs, s.userId, PASSWORD);
  expect(second.status).toBe(200);
  const b = second.body.access_token as string;
  await expectWorks(s.accessToken);
  await expectWorks(b);
  return { userId: s.userId, a: s.accessToken, b, bDevice: second.body.device_id as string };
}

async function expectWorks(token: string): Promise<void> {
  const res = await whoami(hs, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function expectRevoked(token: string): Promise<void> {
  expectError(await whoami(hs, token), 401, "M_UNKNOWN_TOKEN");
}

/** Completes a UIA request with the password stage. */
async function withPassword(
  method: string,
  path: string,
  token: string,
  userId: string,
  body: Record<string, unknown> = {},
) {
  const first = await call(hs, method, path, { token, body });
  expect(first.status).toBe(401);
  return call(hs, method, path, {
    token,
    body: { ...body, auth: passwordAuth(first.body.session, userId, PASSWORD) },
  });
}

describe("access token cache: revocations are seen at once", () => {
  it("logout", async () => {
    const { a, b } = await userWithTwoDevices();
    expect((await call(hs, "POST", v3("/logout"), { token: a })).status).toBe(200);
    await expectRevoked(a);
    await expectWorks(b);
  });

  it("logout/all", async () => {
    const { a, b } = await userWithTwoDevices();
    expect((await call(hs, "POST", v3("/logout/all"), { token: a })).status).toBe(200);
    await expectRevoked(a);
    await expectRevoked(b);
  });

  it("DELETE /devices/{id} and POST /delete_devices", async () => {
    const { userId, a, b, bDevice } = await userWithTwoDevices();
    const res = await withPassword("DELETE", v3(`/devices/${bDevice}`), a, userId);
    expect(res.status).toBe(200);
    await expectRevoked(b);
    await expectWorks(a);

    const other = await userWithTwoDevices();
    const bulk = await withPassword("POST", v3("/delete_devices"), other.a, other.userId, {
      devices: [other.bDevice],
    });
    expect(bulk.status).toBe(200);
    await expectRevoked(other.b);
  });

  it("password change with logout_devices (and without)", async () => {
    const { userId, a, b } = await userWithTwoDevices();
    const kept = await withPassword("POST", v3("/account/password"), a, userId, {
      new_password: PASSWORD,
      logout_devices: false,
    });
    expect(kept.status).toBe(200);
    await expectWorks(b);
    const res = await withPassword("POST", v3("/account/password"), a, userId, {
      new_password: PASSWORD,
    });
    expect(res.status).toBe(200);
    await expectWorks(a);
    await expectRevoked(b);
  });

  it("deactivation", async () => {
    const { userId, a, b } = await userWithTwoDevices();
    const res = await withPassword("POST", v3("/account/deactivate"), a, userId);
    expect(res.status).toBe(200);
    await expectRevoked(a);
    await expectRevoked(b);
  });

  it("a login that reuses a device id revokes that device's cached token", async () => {
    const s = await createTestUser(hs, `cache${++seq}`, { password: PASSWORD });
    await expectWorks(s.accessToken);
    const again = await login(hs, s.userId, PASSWORD, { device_id: s.deviceId });
    expect(again.status).toBe(200);
    await expectRevoked(s.accessToken);
    await expectWorks(again.body.access_token as string);
  });

  it("refresh: the old access token dies when the new one is first used; expiry is soft logout", async () => {
    const s = await createTestUser(hs, `cache${++seq}`, { password: PASSWORD });
    const first = await login(hs, s.userId, PASSWORD, { refresh_token: true });
    const oldAccess = first.body.access_token as string;
    await expectWorks(oldAccess);
    const refreshed = await call(hs, "POST", v3("/refresh"), {
      body: { refresh_token: first.body.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    await expectWorks(oldAccess); // retry safety: valid until the new pair is used
    const newAccess = refreshed.body.access_token as string;
    await expectWorks(newAccess);
    await expectRevoked(oldAccess);

    now += 60_000; // the cached entry carries the expiry: no stale 200 after it
    const expired = await whoami(hs, newAccess);
    expectError(expired, 401, "M_UNKNOWN_TOKEN");
    expect(expired.body.soft_logout).toBe(true);
  });

  it("admin API: deactivate, delete device, reset password, admin flag", async () => {
    const boss = await createTestUser(hs, `boss${++seq}`, { isAdmin: true });
    const admin = (method: string, path: string, body?: unknown) =>
      call(hs, method, path, { token: boss.accessToken, body });

    const u1 = await userWithTwoDevices();
    const del = await admin("DELETE", `/_synapse/admin/v2/users/${u1.userId}/devices/${u1.bDevice}`);
    expect(del.status).toBe(200);
    await expectRevoked(u1.b);
    const reset = await admin("POST", `/_synapse/admin/v1/reset_password/${u1.userId}`, {
      new_password: PASSWORD,
    });
    expect(reset.status).toBe(200);
    await expectRevoked(u1.a);

    const u2 = await userWithTwoDevices();
    expect((await admin("POST", `/_synapse/admin/v1/deactivate/${u2.userId}`, {})).status).toBe(200);
    await expectRevoked(u2.a);
    await expectRevoked(u2.b);

    // A cached owner carries is_admin: promoting and demoting must take effect on the next request.
    const u3 = await userWithTwoDevices();
    const probe = () => call(hs, "GET", "/_synapse/admin/v1/server_version", { token: u3.a });
    expect((await probe()).status).toBe(403);
    expect((await admin("PUT", `/_synapse/admin/v1/users/${u3.userId}/admin`, { admin: true })).status).toBe(
      200,
    );
    expect((await probe()).status).toBe(200);
    expect((await admin("PUT", `/_synapse/admin/v2/users/${u3.userId}`, { admin: false })).status).toBe(200);
    expect((await probe()).status).toBe(403);
    expect((await admin("PUT", `/_synapse/admin/v2/users/${u3.userId}`, { deactivated: true })).status).toBe(
      200,
    );
    await expectRevoked(u3.a);
  });

  it("a revocation by another process (admin CLI) is seen within the cache TTL", async () => {
    const { userId, a } = await userWithTwoDevices();
    // What another process sharing the database does: this instance is not told.
    await deleteAllDevices(hs.ctx.db, userId);
    now += TOKEN_CACHE_TTL_MS;
    await expectRevoked(a);
  });
});
