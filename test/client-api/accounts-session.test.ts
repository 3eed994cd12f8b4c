import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
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
beforeAll(async () => {
  hs = await startTestHomeserver(OPEN_REGISTRATION);
});
afterAll(() => hs?.destroy());

async function secondDevice(user: Registered): Promise<string> {
  const res = await login(hs, user.userId, user.password);
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

async function deviceIds(token: string): Promise<string[]> {
  const res = await call(hs, "GET", v3("/devices"), { token });
  return (res.body.devices as Array<{ device_id: string }>).map((d) => d.device_id).sort();
}

describe("POST /logout and /logout/all", () => {
  it("logout with an empty body deletes this device and its token only", async () => {
    const user = await register(hs, "lou");
    const other = await secondDevice(user);
    const res = await hs.app().request(v3("/logout"), {
      method: "POST",
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expectError(await whoami(hs, user.accessToken), 401, "M_UNKNOWN_TOKEN");
    expect(await deviceIds(other)).not.toContain(user.deviceId);
    expect((await whoami(hs, other)).status).toBe(200);
  });

  it("logout accepts {} but refuses a body that is not JSON", async () => {
    const user = await register(hs, "lou2");
    expectError(
      await call(hs, "POST", v3("/logout"), { token: user.accessToken, body: "{oops" }),
      400,
      "M_NOT_JSON",
    );
    expect((await call(hs, "POST", v3("/logout"), { token: user.accessToken, body: {} })).status).toBe(200);
  });

  it("logout/all ends every session of the user and nobody else's", async () => {
    const user = await register(hs, "lou3");
    const other = await secondDevice(user);
    const bystander = await register(hs, "lou4");
    const res = await hs.app().request(v3("/logout/all"), {
      method: "POST",
      headers: { authorization: `Bearer ${other}` },
    });
    expect(res.status).toBe(200);
    expectError(await whoami(hs, user.accessToken), 401, "M_UNKNOWN_TOKEN");
    expectError(await whoami(hs, other), 401, "M_UNKNOWN_TOKEN");
    expect((await whoami(hs, bystander.accessToken)).status).toBe(200);
    expect((await login(hs, "lou3", user.password)).status).toBe(200);
  });

  it("without a token → 401 M_MISSING_TOKEN", async () => {
    expectError(await call(hs, "POST", v3("/logout")), 401, "M_MISSING_TOKEN");
    expectError(await call(hs, "POST", v3("/logout/all")), 401, "M_MISSING_TOKEN");
  });
});

describe("POST /account/password", () => {
  const change = (token: string | undefined, body: unknown) =>
    call(hs, "POST", v3("/account/password"), { token, body });

  it("asks for the password stage, refuses a wrong one, then changes it and logs out other devices", async () => {
    const user = await register(hs, "pat", "old-pw");
    const other = await secondDevice(user);
    const first = await change(user.accessToken, { new_password: "new-pw" });
    expect(first.status).toBe(401);
    expect(first.body).toEqual({
      flows: [{ stages: ["m.login.password"] }],
      params: {},
      session: expect.any(String),
    });
    const wrong = await change(user.accessToken, {
      new_password: "new-pw",
      auth: passwordAuth(first.body.session, "pat", "bad"),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ errcode: "M_FORBIDDEN", session: first.body.session });
    const ok = await change(user.accessToken, {
      new_password: "new-pw",
      auth: passwordAuth(first.body.session, "@pat:hearth.test", "old-pw"),
    });
    expect(ok).toMatchObject({ status: 200, body: {} });
    expect((await whoami(hs, user.accessToken)).status).toBe(200);
    expectError(await whoami(hs, other), 401, "M_UNKNOWN_TOKEN");
    expect(await deviceIds(user.accessToken)).toEqual([user.deviceId]);
    expectError(await login(hs, "pat", "old-pw"), 403, "M_FORBIDDEN");
    expect((await login(hs, "pat", "new-pw")).status).toBe(200);
  });

  it("logout_devices: false keeps the other devices", async () => {
    const user = await register(hs, "pam", "old-pw");
    const other = await secondDevice(user);
    const first = await change(user.accessToken, { new_password: "new-pw", logout_devices: false });
    const ok = await change(user.accessToken, {
      new_password: "new-pw",
      logout_devices: false,
      auth: passwordAuth(first.body.session, "pam", "old-pw"),
    });
    expect(ok.status).toBe(200);
    expect((await whoami(hs, other)).status).toBe(200);
  });

  it("works without an access token: the password stage names the account, and every device is logged out", async () => {
    const user = await register(hs, "pia", "old-pw");
    const first = await change(undefined, { new_password: "new-pw" });
    expect(first.status).toBe(401);
    const ok = await change(undefined, {
      new_password: "new-pw",
      auth: passwordAuth(first.body.session, "pia", "old-pw"),
    });
    expect(ok.status).toBe(200);
    expectError(await whoami(hs, user.accessToken), 401, "M_UNKNOWN_TOKEN");
    expect((await login(hs, "pia", "new-pw")).status).toBe(200);
  });

  it("a logged-in user cannot authenticate as someone else", async () => {
    const user = await register(hs, "pete", "pete-pw");
    await register(hs, "paul", "paul-pw");
    const first = await change(user.accessToken, { new_password: "x" });
    const res = await change(user.accessToken, {
      new_password: "x",
      auth: passwordAuth(first.body.session, "paul", "paul-pw"),
    });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    expectError(await login(hs, "paul", "x"), 403, "M_FORBIDDEN");
  });

  it("a session started by one user cannot be completed by another", async () => {
    const a = await register(hs, "sam", "sam-pw");
    const b = await register(hs, "sid", "sid-pw");
    const first = await change(a.accessToken, { new_password: "x" });
    const res = await change(b.accessToken, {
      new_password: "x",
      auth: passwordAuth(first.body.session, "sid", "sid-pw"),
    });
    expectError(res, 403, "M_FORBIDDEN");
  });

  it.each([
    ["no new_password", {}, 400, "M_MISSING_PARAM"],
    ["a numeric new_password", { new_password: 5 }, 400, "M_BAD_JSON"],
    ["an empty new_password", { new_password: "" }, 400, "M_INVALID_PARAM"],
    ["a non-boolean logout_devices", { new_password: "x", logout_devices: "no" }, 400, "M_BAD_JSON"],
    ["auth that is not an object", { new_password: "x", auth: 1 }, 400, "M_BAD_JSON"],
    [
      "a password stage without password",
      { new_password: "x", auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "x" } } },
      400,
      "M_MISSING_PARAM",
    ],
  ])("%s → %i %s", async (_what, body, status, errcode) => {
    const user = await register(hs, `bad${Math.random().toString(36).slice(2, 8)}`);
    expectError(await change(user.accessToken, body), status, errcode);
  });

  it("a bad access token is refused even though the token is optional", async () => {
    expectError(await change("hat_bogus", { new_password: "x" }), 401, "M_UNKNOWN_TOKEN");
  });

  it("an account without a password cannot pass the password stage", async () => {
    const user = await createTestUser(hs, "nopw");
    const first = await change(user.accessToken, { new_password: "x" });
    const res = await change(user.accessToken, {
      new_password: "x",
      auth: passwordAuth(first.body.session, "nopw", ""),
    });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  });
});

describe("POST /account/deactivate", () => {
  const deactivate = (token: string | undefined, body: unknown) =>
    call(hs, "POST", v3("/account/deactivate"), { token, body });

  it("needs the password, then ends every session; the id stays taken", async () => {
    const user = await register(hs, "dee", "dee-pw");
    const other = await secondDevice(user);
    const first = await deactivate(user.accessToken, {});
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const ok = await deactivate(user.accessToken, {
      auth: passwordAuth(first.body.session, "dee", "dee-pw"),
    });
    expect(ok).toMatchObject({ status: 200, body: { id_server_unbind_result: "success" } });
    expectError(await whoami(hs, user.accessToken), 401, "M_UNKNOWN_TOKEN");
    expectError(await whoami(hs, other), 401, "M_UNKNOWN_TOKEN");
    expectError(await login(hs, "dee", "dee-pw"), 403, "M_USER_DEACTIVATED");
    const again = await call(hs, "POST", v3("/register"), {
      body: { username: "dee", auth: { type: "m.login.dummy" } },
    });
    expectError(again, 400, "M_USER_IN_USE");
  });

  it("erase: true also forgets the password, so login says only M_FORBIDDEN", async () => {
    const user = await register(hs, "eraser", "pw");
    const first = await deactivate(user.accessToken, { erase: true });
    const ok = await deactivate(user.accessToken, {
      erase: true,
      auth: passwordAuth(first.body.session, "eraser", "pw"),
    });
    expect(ok.status).toBe(200);
    expectError(await login(hs, "eraser", "pw"), 403, "M_FORBIDDEN");
  });

  it("works without an access token", async () => {
    await register(hs, "dora", "dora-pw");
    const first = await deactivate(undefined, {});
    const ok = await deactivate(undefined, { auth: passwordAuth(first.body.session, "dora", "dora-pw") });
    expect(ok.status).toBe(200);
    expectError(await login(hs, "dora", "dora-pw"), 403, "M_USER_DEACTIVATED");
  });

  it("bad input", async () => {
    const user = await register(hs, "dex", "pw");
    expectError(await deactivate(user.accessToken, { erase: "yes" }), 400, "M_BAD_JSON");
    expectError(await deactivate(user.accessToken, { id_server: 1 }), 400, "M_BAD_JSON");
    expectError(await deactivate(user.accessToken, "[]"), 400, "M_BAD_JSON");
    const wrong = await deactivate(user.accessToken, {
      auth: { type: "m.login.password", user: "dex", password: "no" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe("M_FORBIDDEN");
    expect((await whoami(hs, user.accessToken)).status).toBe(200);
  });
});

describe("GET /account/3pid", () => {
  it("is always empty", async () => {
    const user = await register(hs, "tri");
    expect(await call(hs, "GET", v3("/account/3pid"), { token: user.accessToken })).toMatchObject({
      status: 200,
      body: { threepids: [] },
    });
    expectError(await call(hs, "GET", v3("/account/3pid")), 401, "M_MISSING_TOKEN");
  });
});
