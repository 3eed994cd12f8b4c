import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertRegistrationToken } from "../../src/storage/accounts/registration-tokens.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { OPEN_REGISTRATION, call, expectError, login, register, v3, whoami } from "./accounts-support.ts";

let hs: TestHomeserver;
let tokenHs: TestHomeserver;
let closedHs: TestHomeserver;
beforeAll(async () => {
  [hs, tokenHs, closedHs] = await Promise.all([
    startTestHomeserver(OPEN_REGISTRATION),
    startTestHomeserver({
      ...OPEN_REGISTRATION,
      registration: { enabled: true, token: "invite-2024", tokens: ["second.token~x"] },
    }),
    startTestHomeserver({ registration: { enabled: false, token: "unused" } }),
  ]);
});
afterAll(() => Promise.all([hs?.destroy(), tokenHs?.destroy(), closedHs?.destroy()]));

const postRegister = (server: TestHomeserver, body: unknown, query = "") =>
  call(server, "POST", v3(`/register${query}`), { body });

describe("POST /register with open registration (m.login.dummy)", () => {
  it("first call: 401 with the dummy flow, params and a session, and no errcode", async () => {
    const res = await postRegister(hs, { username: "first", password: "pw" });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      flows: [{ stages: ["m.login.dummy"] }],
      params: {},
      session: expect.any(String),
    });
  });

  it("completes with the dummy stage: user id (lower-cased), token and device; the token works", async () => {
    const alice = await register(hs, "Alice");
    expect(alice.userId).toBe("@alice:hearth.test");
    expect(alice.deviceId).toMatch(/^[A-Z]{10}$/);
    expect((await whoami(hs, alice.accessToken)).body).toEqual({
      user_id: "@alice:hearth.test",
      device_id: alice.deviceId,
      is_guest: false,
    });
    expect((await login(hs, "alice", alice.password)).status).toBe(200);
  });

  it("the new account's displayname is its localpart (as Synapse sets it), until the user picks one", async () => {
    const bob = await register(hs, "Bob");
    const res = await call(hs, "GET", v3(`/profile/${bob.userId}`));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ displayname: "bob" });
  });

  it("accepts every character of the localpart grammar", async () => {
    const user = await register(hs, "a-z.0_9=x/y+z");
    expect(user.userId).toBe("@a-z.0_9=x/y+z:hearth.test");
  });

  it("generates a localpart when no username is given", async () => {
    const first = await postRegister(hs, { password: "pw" });
    const res = await postRegister(hs, {
      password: "pw",
      auth: { type: "m.login.dummy", session: first.body.session },
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toMatch(/^@[a-z0-9]{12}:hearth\.test$/);
  });

  it("accepts a stage without a session (bots skip the first round trip)", async () => {
    const res = await postRegister(hs, { username: "bot", password: "pw", auth: { type: "m.login.dummy" } });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@bot:hearth.test");
  });

  it("device_id and initial_device_display_name name the new device", async () => {
    const carol = await register(hs, "carol", "pw", {
      device_id: "CAROLPHONE",
      initial_device_display_name: "Phone",
    });
    expect(carol.deviceId).toBe("CAROLPHONE");
    const devices = await call(hs, "GET", v3("/devices"), { token: carol.accessToken });
    expect(devices.body.devices).toEqual([
      expect.objectContaining({ device_id: "CAROLPHONE", display_name: "Phone" }),
    ]);
  });

  it("inhibit_login: only the user id, no token or device; logging in works afterwards", async () => {
    const first = await postRegister(hs, { username: "quiet", password: "pw", inhibit_login: true });
    const res = await postRegister(hs, {
      username: "quiet",
      password: "pw",
      inhibit_login: true,
      auth: { type: "m.login.dummy", session: first.body.session },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user_id: "@quiet:hearth.test", home_server: "hearth.test" });
    expect((await login(hs, "quiet", "pw")).status).toBe(200);
  });

  it("refresh_token: true gives a refresh token and an expiring access token", async () => {
    const dan = await register(hs, "dan", "pw", { refresh_token: true });
    expect(dan.refreshToken).toMatch(/^hrt_/);
    const res = await postRegister(hs, {
      username: "dan2",
      password: "pw",
      refresh_token: true,
      auth: { type: "m.login.dummy" },
    });
    expect(res.body.expires_in_ms).toBe(300_000);
  });

  it("is served under r0 too", async () => {
    const res = await call(hs, "POST", "/_matrix/client/r0/register", {
      body: { username: "old", password: "pw", auth: { type: "m.login.dummy" } },
    });
    expect(res.status).toBe(200);
  });

  it("without a password the account exists but password login fails", async () => {
    const res = await postRegister(hs, { username: "nopass", auth: { type: "m.login.dummy" } });
    expect(res.status).toBe(200);
    expectError(await login(hs, "nopass", ""), 403, "M_FORBIDDEN");
  });
});

describe("POST /register rejects bad input before user-interactive auth", () => {
  it.each([
    ["a space", "al ice"],
    ["a colon", "a:b"],
    ["non-ASCII", "ümlaut"],
    ["an at sign", "@alice"],
    ["the empty string", ""],
    ["an over-long id", "x".repeat(250)],
  ])("username with %s → 400 M_INVALID_USERNAME", async (_what, username) => {
    expectError(await postRegister(hs, { username, password: "pw" }), 400, "M_INVALID_USERNAME");
  });

  it("taken username → 400 M_USER_IN_USE, on the first call and after auth", async () => {
    await register(hs, "taken");
    expectError(await postRegister(hs, { username: "taken", password: "pw" }), 400, "M_USER_IN_USE");
    expectError(
      await postRegister(hs, { username: "TAKEN", auth: { type: "m.login.dummy" } }),
      400,
      "M_USER_IN_USE",
    );
  });

  it.each([
    ["username", { username: 5 }],
    ["username (NUL inside)", { username: "a\u0000b" }],
    ["password", { password: true }],
    ["device_id", { device_id: ["x"] }],
    ["initial_device_display_name", { initial_device_display_name: {} }],
    ["inhibit_login", { inhibit_login: "yes" }],
    ["refresh_token", { refresh_token: 1 }],
    ["auth", { auth: "m.login.dummy" }],
    ["auth.session", { auth: { type: "m.login.dummy", session: 12 } }],
    ["auth.type", { auth: { type: ["m.login.dummy"] } }],
  ])("wrong JSON type for %s → 400 M_BAD_JSON", async (_field, body) => {
    expectError(await postRegister(hs, body), 400, "M_BAD_JSON");
  });

  it("a body that is not a JSON object → 400 M_NOT_JSON / M_BAD_JSON", async () => {
    expectError(await postRegister(hs, "{not json"), 400, "M_NOT_JSON");
    expectError(await postRegister(hs, ""), 400, "M_NOT_JSON");
    expectError(await postRegister(hs, "[1,2]"), 400, "M_BAD_JSON");
    expectError(await postRegister(hs, "null"), 400, "M_BAD_JSON");
  });

  it("empty or control-character device ids → 400 M_INVALID_PARAM", async () => {
    expectError(await postRegister(hs, { username: "dev1", device_id: "" }), 400, "M_INVALID_PARAM");
    expectError(await postRegister(hs, { username: "dev1", device_id: "a\nb" }), 400, "M_INVALID_PARAM");
  });

  it("kind=guest → 403 M_GUEST_ACCESS_FORBIDDEN; an unknown kind → 400", async () => {
    expectError(await postRegister(hs, {}, "?kind=guest"), 403, "M_GUEST_ACCESS_FORBIDDEN");
    expectError(await postRegister(hs, {}, "?kind=admin"), 400, "M_INVALID_PARAM");
  });
});

describe("user-interactive auth sessions on /register", () => {
  it("an unknown session → 400 M_UNKNOWN", async () => {
    const res = await postRegister(hs, {
      username: "ghost",
      auth: { type: "m.login.dummy", session: "nope" },
    });
    expectError(res, 400, "M_UNKNOWN");
  });

  it("a stage that is not offered → 401 with the flows and errcode M_UNRECOGNIZED", async () => {
    const first = await postRegister(hs, { username: "eve" });
    const res = await postRegister(hs, {
      username: "eve",
      auth: { type: "m.login.registration_token", token: "x", session: first.body.session },
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      errcode: "M_UNRECOGNIZED",
      session: first.body.session,
      flows: expect.any(Array),
    });
  });

  it("auth with only the session reports progress without completing", async () => {
    const first = await postRegister(hs, { username: "frank" });
    const res = await postRegister(hs, { username: "frank", auth: { session: first.body.session } });
    expect(res.status).toBe(401);
    expect(res.body.session).toBe(first.body.session);
    expect(res.body.errcode).toBeUndefined();
  });

  it("a completed session authorises one registration only", async () => {
    const first = await postRegister(hs, { username: "once" });
    const auth = { type: "m.login.dummy", session: first.body.session };
    expect((await postRegister(hs, { username: "once", auth })).status).toBe(200);
    expectError(await postRegister(hs, { username: "twice", auth }), 400, "M_UNKNOWN");
  });

  it("a session cannot be carried over to another operation", async () => {
    const first = await postRegister(hs, { username: "mover" });
    const user = await register(hs, "mover2");
    const res = await call(hs, "POST", v3("/delete_devices"), {
      token: user.accessToken,
      body: { devices: [user.deviceId], auth: { type: "m.login.dummy", session: first.body.session } },
    });
    expectError(res, 403, "M_FORBIDDEN");
  });
});

describe("GET /register/available", () => {
  const available = (server: TestHomeserver, username?: string) =>
    call(
      server,
      "GET",
      v3(`/register/available${username === undefined ? "" : `?username=${encodeURIComponent(username)}`}`),
    );

  it("free → {available: true}; taken (any case) → M_USER_IN_USE; invalid → M_INVALID_USERNAME", async () => {
    await register(hs, "gina");
    expect(await available(hs, "someone-new")).toMatchObject({ status: 200, body: { available: true } });
    expectError(await available(hs, "gina"), 400, "M_USER_IN_USE");
    expectError(await available(hs, "GINA"), 400, "M_USER_IN_USE");
    expectError(await available(hs, "gi na"), 400, "M_INVALID_USERNAME");
    expectError(await available(hs), 400, "M_MISSING_PARAM");
  });

  it("with registration disabled → 403 (it would only help enumerate accounts)", async () => {
    expectError(await available(closedHs, "anyone"), 403, "M_FORBIDDEN");
  });
});

describe("registration disabled", () => {
  it("POST /register → 403 M_FORBIDDEN, even with a configured token", async () => {
    expectError(await postRegister(closedHs, { username: "x" }), 403, "M_FORBIDDEN");
    expectError(
      await postRegister(closedHs, {
        username: "x",
        auth: { type: "m.login.registration_token", token: "unused" },
      }),
      403,
      "M_FORBIDDEN",
    );
  });

  it("the token validity check → 403 M_FORBIDDEN", async () => {
    const res = await call(
      closedHs,
      "GET",
      "/_matrix/client/v1/register/m.login.registration_token/validity?token=unused",
    );
    expectError(res, 403, "M_FORBIDDEN");
  });
});

describe("token-authenticated registration", () => {
  const validity = (token?: string) =>
    call(
      tokenHs,
      "GET",
      `/_matrix/client/v1/register/m.login.registration_token/validity${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`,
    );

  it("offers only the registration token flow", async () => {
    const res = await postRegister(tokenHs, { username: "tina" });
    expect(res.status).toBe(401);
    expect(res.body.flows).toEqual([{ stages: ["m.login.registration_token"] }]);
  });

  it("m.login.dummy is not enough", async () => {
    const res = await postRegister(tokenHs, { username: "tina", auth: { type: "m.login.dummy" } });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_UNRECOGNIZED");
  });

  it("a wrong token → 401 with errcode and the same session; the right one then registers", async () => {
    const first = await postRegister(tokenHs, { username: "tina" });
    const session = first.body.session;
    const wrong = await postRegister(tokenHs, {
      username: "tina",
      auth: { type: "m.login.registration_token", token: "guess", session },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ errcode: "M_UNAUTHORIZED", session, flows: expect.any(Array) });
    const right = await postRegister(tokenHs, {
      username: "tina",
      password: "pw",
      auth: { type: "m.login.registration_token", token: "invite-2024", session },
    });
    expect(right.status).toBe(200);
    expect(right.body.user_id).toBe("@tina:hearth.test");
  });

  it("a missing or non-string token → 400", async () => {
    expectError(
      await postRegister(tokenHs, { auth: { type: "m.login.registration_token" } }),
      400,
      "M_MISSING_PARAM",
    );
    expectError(
      await postRegister(tokenHs, { auth: { type: "m.login.registration_token", token: 7 } }),
      400,
      "M_BAD_JSON",
    );
  });

  it("config tokens are valid and unlimited; unknown tokens are not", async () => {
    expect((await validity("invite-2024")).body).toEqual({ valid: true });
    expect((await validity("second.token~x")).body).toEqual({ valid: true });
    expect((await validity("nope")).body).toEqual({ valid: false });
    expectError(await validity(), 400, "M_MISSING_PARAM");
  });

  it("a stored token with one use is consumed by the registration that completes, not before", async () => {
    await insertRegistrationToken(tokenHs.ctx.db, {
      token: "one-use",
      usesAllowed: 1,
      expiryTs: null,
      createdTs: 0,
    });
    // Asking for flows and failing a stage do not use the token up.
    await postRegister(tokenHs, { username: "uma" });
    await postRegister(tokenHs, {
      username: "uma",
      auth: { type: "m.login.registration_token", token: "wrong" },
    });
    expect((await validity("one-use")).body).toEqual({ valid: true });
    const ok = await postRegister(tokenHs, {
      username: "uma",
      auth: { type: "m.login.registration_token", token: "one-use" },
    });
    expect(ok.status).toBe(200);
    expect((await validity("one-use")).body).toEqual({ valid: false });
    const again = await postRegister(tokenHs, {
      username: "vic",
      auth: { type: "m.login.registration_token", token: "one-use" },
    });
    expect(again.status).toBe(401);
    expect(again.body.errcode).toBe("M_UNAUTHORIZED");
  });

  it("an expired stored token is invalid", async () => {
    await insertRegistrationToken(tokenHs.ctx.db, {
      token: "old",
      usesAllowed: null,
      expiryTs: 1,
      createdTs: 0,
    });
    expect((await validity("old")).body).toEqual({ valid: false });
  });
});
