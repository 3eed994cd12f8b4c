import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { adminAndUser, adminCall, call, expectError, v1 } from "./support.ts";

let hs: TestHomeserver;
let admin: Session;

beforeAll(async () => {
  hs = await startTestHomeserver({ registration: { enabled: false } });
  ({ admin } = await adminAndUser(hs));
});
afterAll(() => hs.destroy());

describe("admin registration tokens API", () => {
  it("creates with defaults and with given fields; lists, shows, updates and deletes", async () => {
    const generated = await adminCall(hs, admin, "POST", v1("/registration_tokens/new"), {});
    expect(generated.status).toBe(200);
    expect(generated.body).toMatchObject({ uses_allowed: null, pending: 0, completed: 0, expiry_time: null });
    expect(generated.body.token).toMatch(/^[A-Za-z0-9._~-]{16}$/);

    const short = await adminCall(hs, admin, "POST", v1("/registration_tokens/new"), { length: 5 });
    expect(short.body.token).toHaveLength(5);

    const named = await adminCall(hs, admin, "POST", v1("/registration_tokens/new"), {
      token: "defg",
      uses_allowed: 1,
    });
    expect(named.body).toEqual({
      token: "defg",
      uses_allowed: 1,
      pending: 0,
      completed: 0,
      expiry_time: null,
    });

    const list = await adminCall(hs, admin, "GET", v1("/registration_tokens"));
    expect((list.body.registration_tokens as Array<{ token: string }>).map((t) => t.token)).toContain("defg");

    const updated = await adminCall(hs, admin, "PUT", v1("/registration_tokens/defg"), {
      expiry_time: 4781243146000,
    });
    expect(updated.body).toEqual({
      token: "defg",
      uses_allowed: 1,
      pending: 0,
      completed: 0,
      expiry_time: 4781243146000,
    });
    const unlimited = await adminCall(hs, admin, "PUT", v1("/registration_tokens/defg"), {
      uses_allowed: null,
    });
    expect(unlimited.body.uses_allowed).toBeNull();
    expect(unlimited.body.expiry_time).toBe(4781243146000);

    expect((await adminCall(hs, admin, "GET", v1("/registration_tokens/defg"))).body.token).toBe("defg");
    expect((await adminCall(hs, admin, "DELETE", v1("/registration_tokens/defg"))).body).toEqual({});
    const gone = await adminCall(hs, admin, "GET", v1("/registration_tokens/defg"));
    expectError(gone, 404, "M_NOT_FOUND");
    expect(gone.body.error).toBe("No such registration token: defg");
    expectError(await adminCall(hs, admin, "DELETE", v1("/registration_tokens/defg")), 404, "M_NOT_FOUND");
    expectError(await adminCall(hs, admin, "PUT", v1("/registration_tokens/defg"), {}), 404, "M_NOT_FOUND");
  });

  it("a token made here lets someone register while registration is closed, and counts the use", async () => {
    await adminCall(hs, admin, "POST", v1("/registration_tokens/new"), { token: "once", uses_allowed: 1 });
    const first = await call(hs, "POST", "/_matrix/client/v3/register", {
      body: { username: "newbie", password: "pw" },
    });
    expect(first.status).toBe(401);
    const done = await call(hs, "POST", "/_matrix/client/v3/register", {
      body: {
        username: "newbie",
        password: "pw",
        auth: { type: "m.login.registration_token", token: "once", session: first.body.session },
      },
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const used = await adminCall(hs, admin, "GET", v1("/registration_tokens/once"));
    expect(used.body.completed).toBe(1);
    const valid = await adminCall(hs, admin, "GET", v1("/registration_tokens?valid=true"));
    expect((valid.body.registration_tokens as Array<{ token: string }>).map((t) => t.token)).not.toContain(
      "once",
    );
    const invalid = await adminCall(hs, admin, "GET", v1("/registration_tokens?valid=false"));
    expect((invalid.body.registration_tokens as Array<{ token: string }>).map((t) => t.token)).toContain(
      "once",
    );
  });

  it("refuses bad input with M_INVALID_PARAM", async () => {
    const bad = [
      { token: "has space" },
      { token: "x".repeat(65) },
      { token: 5 },
      { uses_allowed: -1 },
      { uses_allowed: 1.5 },
      { uses_allowed: "1" },
      { expiry_time: 1 },
      { length: 0 },
      { length: 65 },
    ];
    for (const body of bad) {
      expectError(
        await adminCall(hs, admin, "POST", v1("/registration_tokens/new"), body),
        400,
        "M_INVALID_PARAM",
      );
    }
    await adminCall(hs, admin, "POST", v1("/registration_tokens/new"), { token: "dup" });
    expectError(
      await adminCall(hs, admin, "POST", v1("/registration_tokens/new"), { token: "dup" }),
      400,
      "M_INVALID_PARAM",
    );
    expectError(
      await adminCall(hs, admin, "GET", v1("/registration_tokens?valid=maybe")),
      400,
      "M_INVALID_PARAM",
    );
    expectError(
      await adminCall(hs, admin, "PUT", v1("/registration_tokens/dup"), { uses_allowed: -5 }),
      400,
      "M_INVALID_PARAM",
    );
  });
});
