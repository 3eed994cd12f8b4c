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
let now = 1_700_000_000_000;
let alice: Registered;
beforeAll(async () => {
  hs = await startTestHomeserver(OPEN_REGISTRATION, { clock: () => now });
  alice = await register(hs, "alice", "alice-pw");
});
afterAll(() => hs?.destroy());

const postLogin = (body: unknown) => call(hs, "POST", v3("/login"), { body });

describe("GET /login", () => {
  it("lists password and token logins, the latter with get_login_token", async () => {
    const res = await call(hs, "GET", v3("/login"));
    expect(res.body).toEqual({
      flows: [{ type: "m.login.password" }, { type: "m.login.token", get_login_token: true }],
    });
    expect((await call(hs, "GET", "/_matrix/client/r0/login")).status).toBe(200);
  });
});

describe("POST /login with a password", () => {
  it.each([
    ["a localpart", { identifier: { type: "m.id.user", user: "alice" } }],
    ["a full user id", { identifier: { type: "m.id.user", user: "@alice:hearth.test" } }],
    ["an upper-case localpart", { identifier: { type: "m.id.user", user: "ALICE" } }],
    ["the deprecated top-level user", { user: "alice" }],
    ["the deprecated top-level full id", { user: "@alice:hearth.test" }],
  ])("identifies the user by %s", async (_how, who) => {
    const res = await postLogin({ type: "m.login.password", password: "alice-pw", ...who });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user_id: "@alice:hearth.test",
      access_token: expect.stringMatching(/^hat_/),
      device_id: expect.any(String),
    });
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.expires_in_ms).toBeUndefined();
    expect((await whoami(hs, res.body.access_token as string)).status).toBe(200);
  });

  it("wrong password, unknown user and remote user all → the same 403 M_FORBIDDEN", async () => {
    const answers = await Promise.all([
      login(hs, "alice", "wrong"),
      login(hs, "nobody", "alice-pw"),
      login(hs, "@alice:elsewhere.test", "alice-pw"),
      login(hs, "@:hearth.test", "x"),
      login(hs, "a:b", "x"),
    ]);
    for (const res of answers) {
      expectError(res, 403, "M_FORBIDDEN");
      expect(res.body.error).toBe(answers[0]?.body.error);
    }
  });

  it("third-party identifiers → 403 (Hearth knows no 3PIDs)", async () => {
    expectError(
      await postLogin({
        type: "m.login.password",
        password: "x",
        identifier: { type: "m.id.thirdparty", medium: "email", address: "a@b.c" },
      }),
      403,
      "M_FORBIDDEN",
    );
    expectError(
      await postLogin({ type: "m.login.password", password: "x", medium: "email", address: "a@b.c" }),
      403,
      "M_FORBIDDEN",
    );
  });

  it.each([
    ["no type", { identifier: { type: "m.id.user", user: "alice" }, password: "x" }, 400, "M_MISSING_PARAM"],
    ["a non-string type", { type: 1, password: "x" }, 400, "M_BAD_JSON"],
    ["an unknown type", { type: "m.login.magic" }, 400, "M_UNKNOWN"],
    ["no identifier", { type: "m.login.password", password: "x" }, 400, "M_MISSING_PARAM"],
    [
      "an identifier that is not an object",
      { type: "m.login.password", identifier: "alice", password: "x" },
      400,
      "M_BAD_JSON",
    ],
    [
      "an identifier without type",
      { type: "m.login.password", identifier: { user: "alice" }, password: "x" },
      400,
      "M_MISSING_PARAM",
    ],
    [
      "an unknown identifier type",
      { type: "m.login.password", identifier: { type: "m.id.magic" }, password: "x" },
      400,
      "M_UNKNOWN",
    ],
    [
      "a non-string identifier user",
      { type: "m.login.password", identifier: { type: "m.id.user", user: 7 }, password: "x" },
      400,
      "M_BAD_JSON",
    ],
    [
      "no password",
      { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" } },
      400,
      "M_MISSING_PARAM",
    ],
    [
      "a numeric password",
      { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: 1234 },
      400,
      "M_BAD_JSON",
    ],
    [
      "a non-string device_id",
      { type: "m.login.password", user: "alice", password: "alice-pw", device_id: 5 },
      400,
      "M_BAD_JSON",
    ],
    [
      "a non-boolean refresh_token",
      { type: "m.login.password", user: "alice", password: "alice-pw", refresh_token: "yes" },
      400,
      "M_BAD_JSON",
    ],
    [
      "a huge password",
      { type: "m.login.password", user: "alice", password: "x".repeat(5000) },
      403,
      "M_FORBIDDEN",
    ],
  ])("%s → %i %s", async (_what, body, status, errcode) => {
    expectError(await postLogin(body), status, errcode);
  });

  it("accounts made by the test helper with a password can log in", async () => {
    await createTestUser(hs, "helper", { password: "helper-pw" });
    expect((await login(hs, "helper", "helper-pw")).status).toBe(200);
  });

  it("malformed bodies → M_NOT_JSON / M_BAD_JSON", async () => {
    expectError(await postLogin("nope"), 400, "M_NOT_JSON");
    expectError(await postLogin("[]"), 400, "M_BAD_JSON");
    expectError(await postLogin(""), 400, "M_NOT_JSON");
  });

  it("a new device per login, with its display name", async () => {
    const res = await login(hs, "alice", "alice-pw", { initial_device_display_name: "Laptop" });
    const devices = await call(hs, "GET", v3("/devices"), { token: res.body.access_token as string });
    const mine = (devices.body.devices as Array<Record<string, unknown>>).find(
      (d) => d.device_id === res.body.device_id,
    );
    expect(mine?.display_name).toBe("Laptop");
  });

  it("reusing a device_id keeps the device (and its name) but revokes its old tokens", async () => {
    const first = await login(hs, "alice", "alice-pw", {
      device_id: "ALICEPHONE",
      initial_device_display_name: "Phone",
    });
    expect(first.body.device_id).toBe("ALICEPHONE");
    const second = await login(hs, "alice", "alice-pw", {
      device_id: "ALICEPHONE",
      initial_device_display_name: "Other",
    });
    expect(second.body.device_id).toBe("ALICEPHONE");
    expectError(await whoami(hs, first.body.access_token as string), 401, "M_UNKNOWN_TOKEN");
    expect((await whoami(hs, second.body.access_token as string)).body.device_id).toBe("ALICEPHONE");
    const device = await call(hs, "GET", v3("/devices/ALICEPHONE"), {
      token: second.body.access_token as string,
    });
    expect(device.body.display_name).toBe("Phone");
  });

  it("refresh_token: true → a refresh token and expires_in_ms", async () => {
    const res = await login(hs, "alice", "alice-pw", { refresh_token: true });
    expect(res.body).toMatchObject({ refresh_token: expect.stringMatching(/^hrt_/), expires_in_ms: 300_000 });
  });

  it("a deactivated account → 403 M_USER_DEACTIVATED, but only with the right password", async () => {
    const bob = await register(hs, "bob", "bob-pw");
    const first = await call(hs, "POST", v3("/account/deactivate"), { token: bob.accessToken, body: {} });
    const done = await call(hs, "POST", v3("/account/deactivate"), {
      token: bob.accessToken,
      body: { auth: passwordAuth(first.body.session, "bob", "bob-pw") },
    });
    expect(done.status).toBe(200);
    expectError(await login(hs, "bob", "bob-pw"), 403, "M_USER_DEACTIVATED");
    expectError(await login(hs, "bob", "wrong"), 403, "M_FORBIDDEN");
  });
});

describe("login tokens (POST /login/get_token, m.login.token)", () => {
  const getToken = (token: string | undefined, body: unknown) =>
    call(hs, "POST", "/_matrix/client/v1/login/get_token", { token, body });

  async function loginToken(): Promise<string> {
    const first = await getToken(alice.accessToken, {});
    const res = await getToken(alice.accessToken, {
      auth: passwordAuth(first.body.session, "alice", "alice-pw"),
    });
    expect(res.status).toBe(200);
    return res.body.login_token as string;
  }

  it("needs an access token", async () => {
    expectError(await getToken(undefined, {}), 401, "M_MISSING_TOKEN");
  });

  it("needs the password stage; a wrong password is a 401 with errcode that can be retried", async () => {
    const first = await getToken(alice.accessToken, {});
    expect(first.status).toBe(401);
    expect(first.body).toEqual({
      flows: [{ stages: ["m.login.password"] }],
      params: {},
      session: expect.any(String),
    });
    const wrong = await getToken(alice.accessToken, {
      auth: passwordAuth(first.body.session, "alice", "nope"),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ errcode: "M_FORBIDDEN", session: first.body.session });
    const right = await getToken(alice.accessToken, {
      auth: passwordAuth(first.body.session, "alice", "alice-pw"),
    });
    expect(right.status).toBe(200);
    expect(right.body).toEqual({ login_token: expect.any(String), expires_in_ms: 120_000 });
  });

  it("re-prompts every time: a completed session cannot mint a second token", async () => {
    const first = await getToken(alice.accessToken, {});
    const auth = passwordAuth(first.body.session, "alice", "alice-pw");
    expect((await getToken(alice.accessToken, { auth })).status).toBe(200);
    expectError(await getToken(alice.accessToken, { auth }), 400, "M_UNKNOWN");
  });

  it("the password stage must name the logged-in user", async () => {
    await register(hs, "mallory", "mallory-pw");
    const first = await getToken(alice.accessToken, {});
    const res = await getToken(alice.accessToken, {
      auth: passwordAuth(first.body.session, "mallory", "mallory-pw"),
    });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  });

  it("logs in once as the user who asked; a second use → 403", async () => {
    const token = await loginToken();
    const res = await postLogin({ type: "m.login.token", token });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@alice:hearth.test");
    expectError(await postLogin({ type: "m.login.token", token }), 403, "M_FORBIDDEN");
  });

  it("expires after its lifetime", async () => {
    const token = await loginToken();
    now += 120_000;
    expectError(await postLogin({ type: "m.login.token", token }), 403, "M_FORBIDDEN");
  });

  it("unknown, missing and mistyped tokens", async () => {
    expectError(await postLogin({ type: "m.login.token", token: "hlt_nope" }), 403, "M_FORBIDDEN");
    expectError(await postLogin({ type: "m.login.token" }), 400, "M_MISSING_PARAM");
    expectError(await postLogin({ type: "m.login.token", token: ["x"] }), 400, "M_BAD_JSON");
  });

  it("the m.get_login_token capability is on for accounts with a password", async () => {
    const res = await call(hs, "GET", v3("/capabilities"), { token: alice.accessToken });
    expect(res.body).toMatchObject({ capabilities: { "m.get_login_token": { enabled: true } } });
  });
});
