import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { call, expectError, login, passwordAuth, v3, type JsonResponse } from "./accounts-support.ts";

let hs: TestHomeserver;
let now = 1_700_000_000_000;
beforeAll(async () => {
  hs = await startTestHomeserver(
    {
      registration: { enabled: true },
      rate_limits: { login: { per_second: 0.5, burst: 3 }, registration: { per_second: 0.1, burst: 2 } },
    },
    { clock: () => now },
  );
});
afterAll(() => hs?.destroy());

function expectLimited(res: JsonResponse, retryAfterMs: number): void {
  expectError(res, 429, "M_LIMIT_EXCEEDED");
  expect(res.body.retry_after_ms).toBe(retryAfterMs);
  expect(res.headers.get("retry-after")).toBe(String(Math.ceil(retryAfterMs / 1000)));
}

const registerDummy = (username: string) =>
  call(hs, "POST", v3("/register"), { body: { username, password: "pw", auth: { type: "m.login.dummy" } } });

describe("rate limits", () => {
  it("registration: a burst, then 429 with Retry-After and retry_after_ms; asking for flows is free", async () => {
    expect((await call(hs, "POST", v3("/register"), { body: { username: "x" } })).status).toBe(401);
    expect((await registerDummy("r1")).status).toBe(200);
    expect((await registerDummy("r2")).status).toBe(200);
    expectLimited(await registerDummy("r3"), 10_000);
    // Even the first call is refused while the bucket is empty: no point starting a flow.
    expectLimited(await call(hs, "POST", v3("/register"), { body: { username: "r3" } }), 10_000);
    now += 10_000;
    expect((await registerDummy("r3")).status).toBe(200);
  });

  it("login: per IP and per account, failed and successful attempts alike", async () => {
    now += 60_000;
    expectError(await login(hs, "r1", "wrong"), 403, "M_FORBIDDEN");
    expectError(await login(hs, "r1", "wrong"), 403, "M_FORBIDDEN");
    expect((await login(hs, "r1", "pw")).status).toBe(200);
    const limited = await login(hs, "r1", "pw");
    expectLimited(limited, 2000);
    now += 2000;
    expect((await login(hs, "r1", "pw")).status).toBe(200);
  });

  it("the password stage of user-interactive auth counts as a login attempt", async () => {
    now += 60_000;
    const session = (await login(hs, "r2", "pw")).body.access_token as string;
    const change = (auth?: unknown) =>
      call(hs, "POST", v3("/account/password"), { token: session, body: { new_password: "new", auth } });
    const first = await change();
    expect(first.status).toBe(401);
    for (let i = 0; i < 2; i++) {
      const res = await change(passwordAuth(first.body.session, "r2", "guess"));
      expect(res.status).toBe(401);
    }
    expectLimited(await change(passwordAuth(first.body.session, "r2", "guess")), 2000);
  });
});
