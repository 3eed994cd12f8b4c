import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { call, expectError, v1 } from "./support.ts";

const SECRET = "a shared secret for tests";

/** The MAC as Synapse's docs define it, computed here independently of the server's code. */
function mac(nonce: string, user: string, password: string, admin: boolean, secret = SECRET): string {
  return createHmac("sha1", secret)
    .update(
      Buffer.concat([
        Buffer.from(nonce, "utf8"),
        Buffer.from([0]),
        Buffer.from(user, "utf8"),
        Buffer.from([0]),
        Buffer.from(password, "utf8"),
        Buffer.from([0]),
        Buffer.from(admin ? "admin" : "notadmin", "utf8"),
      ]),
    )
    .digest("hex");
}

let hs: TestHomeserver;
let closed: TestHomeserver;

beforeAll(async () => {
  hs = await startTestHomeserver({ registration: { shared_secret: SECRET } });
  closed = await startTestHomeserver();
});
afterAll(async () => {
  await hs.destroy();
  await closed.destroy();
});

async function nonce(server = hs): Promise<string> {
  const res = await call(server, "GET", v1("/register"));
  expect(res.status).toBe(200);
  return res.body.nonce as string;
}

describe("shared-secret registration", () => {
  it("registers an admin with a correct HMAC and logs it in", async () => {
    const n = await nonce();
    const res = await call(hs, "POST", v1("/register"), {
      body: {
        nonce: n,
        username: "root",
        password: "pässword",
        admin: true,
        mac: mac(n, "root", "pässword", true),
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: "@root:hearth.test", home_server: "hearth.test" });
    expect(typeof res.body.device_id).toBe("string");
    const token = res.body.access_token as string;
    // An admin: the admin API answers.
    const me = await call(hs, "GET", `/_synapse/admin/v2/users/@root:hearth.test`, { token });
    expect(me.body).toMatchObject({ admin: true, displayname: "root" });
  });

  it("registers a non-admin with displayname", async () => {
    const n = await nonce();
    const res = await call(hs, "POST", v1("/register"), {
      body: {
        nonce: n,
        username: "Bob",
        password: "pw",
        displayname: "Bobby",
        mac: mac(n, "Bob", "pw", false),
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@bob:hearth.test");
    const profile = await call(hs, "GET", "/_matrix/client/v3/profile/@bob:hearth.test");
    expect(profile.body.displayname).toBe("Bobby");
  });

  it("refuses a wrong MAC (403), a reused or unknown nonce, and a MAC for admin:false used for admin:true", async () => {
    const n = await nonce();
    expectError(
      await call(hs, "POST", v1("/register"), {
        body: { nonce: n, username: "eve", password: "pw", mac: mac(n, "eve", "pw", false, "wrong secret") },
      }),
      403,
      "M_FORBIDDEN",
    );
    // The nonce was spent by the failed attempt.
    const retry = await call(hs, "POST", v1("/register"), {
      body: { nonce: n, username: "eve", password: "pw", mac: mac(n, "eve", "pw", false) },
    });
    expect(retry.status).toBe(400);
    expect(retry.body.error).toBe("unrecognised nonce");

    const m = await nonce();
    expectError(
      await call(hs, "POST", v1("/register"), {
        body: { nonce: m, username: "eve", password: "pw", admin: true, mac: mac(m, "eve", "pw", false) },
      }),
      403,
      "M_FORBIDDEN",
    );
  });

  it("refuses missing fields, bad types and taken names", async () => {
    const n = await nonce();
    expectError(await call(hs, "POST", v1("/register"), { body: { username: "x" } }), 400, "M_BAD_JSON");
    const noMac = await call(hs, "POST", v1("/register"), {
      body: { nonce: n, username: "x", password: "y" },
    });
    expectError(noMac, 400, "M_BAD_JSON");
    const k = await nonce();
    expect(
      (await call(hs, "POST", v1("/register"), { body: { nonce: k, username: 5, password: "y", mac: "00" } }))
        .status,
    ).toBe(400);
    const t = await nonce();
    expectError(
      await call(hs, "POST", v1("/register"), {
        body: { nonce: t, username: "root", password: "pw", mac: mac(t, "root", "pw", false) },
      }),
      400,
      "M_USER_IN_USE",
    );
    const bad = await nonce();
    expectError(
      await call(hs, "POST", v1("/register"), {
        body: { nonce: bad, username: "no spaces", password: "pw", mac: mac(bad, "no spaces", "pw", false) },
      }),
      400,
      "M_INVALID_USERNAME",
    );
    expectError(await call(hs, "POST", v1("/register"), { body: "not json" }), 400, "M_NOT_JSON");
  });

  it("is refused when no shared secret is configured", async () => {
    expect((await call(closed, "GET", v1("/register"))).status).toBe(400);
    const res = await call(closed, "POST", v1("/register"), {
      body: { nonce: "n", username: "x", password: "y", mac: "z" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("not enabled");
  });
});
