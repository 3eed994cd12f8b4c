import { afterAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { createOrModifyUser } from "../../src/admin/users.ts";
import { createHomeserver } from "../../src/homeserver.ts";
import { dropSchema } from "../support/database.ts";
import { testConfig } from "../support/homeserver.ts";

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

async function register(
  app: { request: (p: string, i: RequestInit) => Response | Promise<Response> },
  body: object,
) {
  const res = await app.request("/_matrix/client/v3/register", {
    method: "POST",
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function tokenValidity(
  app: { request: (p: string) => Response | Promise<Response> },
  token: string | undefined,
): Promise<unknown> {
  const res = await app.request(
    `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`,
  );
  return res.json();
}

describe("first-account registration token", () => {
  it("lets exactly one account register on a fresh server with registration closed, then goes away", async () => {
    const config = await testConfig();
    schemas.push(config.database.schema);
    const first = await createHomeserver(config);
    const token = first.startup.firstAccountToken;
    expect(token).toMatch(/^[A-Za-z0-9._~-]{16,64}$/);
    await first.stop();

    // A restart before anyone registered prints the same token.
    const hs = await createHomeserver(config);
    try {
      expect(hs.startup.firstAccountToken).toBe(token);
      const app = hs.app();
      const start = await register(app, { username: "owner", password: "correct horse" });
      expect(start.status).toBe(401);
      expect(start.json.flows).toEqual([{ stages: ["m.login.registration_token"] }]);
      const session = start.json.session as string;

      const wrong = await register(app, {
        username: "owner",
        password: "correct horse",
        auth: { type: "m.login.registration_token", token: "not-the-token", session },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.json.errcode).toBeDefined();

      const ok = await register(app, {
        username: "owner",
        password: "correct horse",
        auth: { type: "m.login.registration_token", token, session },
      });
      expect(ok.status).toBe(200);
      expect(ok.json.user_id).toBe("@owner:hearth.test");

      // Single use: registration is closed again.
      const again = await register(app, { username: "second", password: "x" });
      expect(again.status).toBe(403);
      expect(again.json.errcode).toBe("M_FORBIDDEN");
    } finally {
      await hs.stop();
    }

    const later = await createHomeserver(config);
    expect(later.startup.firstAccountToken).toBeUndefined();
    await later.stop();
  });

  it("is not issued when registration is open or has configured tokens", async () => {
    for (const registration of [{ enabled: true }, { enabled: false, token: "configured" }]) {
      const config = await testConfig({ registration });
      schemas.push(config.database.schema);
      const hs = await createHomeserver(config);
      expect(hs.startup.firstAccountToken).toBeUndefined();
      await hs.stop();
    }
  });

  it("stops working once the first account is made by shared-secret registration", async () => {
    const secret = "first-account test secret";
    const config = await testConfig({ registration: { shared_secret: secret } });
    schemas.push(config.database.schema);
    const hs = await createHomeserver(config);
    try {
      const token = hs.startup.firstAccountToken;
      expect(typeof token).toBe("string");
      const app = hs.app();
      expect(await tokenValidity(app, token)).toEqual({ valid: true });
      const nonceRes = await app.request("/_synapse/admin/v1/register");
      const nonce = ((await nonceRes.json()) as { nonce: string }).nonce;
      // Synapse's documented MAC: HMAC-SHA1 over nonce, user, password and admin flag, NUL-separated.
      const mac = createHmac("sha1", secret).update(`${nonce}\0root\0pw\0admin`).digest("hex");
      const made = await app.request("/_synapse/admin/v1/register", {
        method: "POST",
        body: JSON.stringify({ nonce, username: "root", password: "pw", admin: true, mac }),
      });
      expect(made.status).toBe(200);

      // The printed token was never used, but an account exists now: registration is closed.
      const start = await register(app, { username: "stranger", password: "x" });
      expect(start.status).toBe(403);
      expect(start.json.errcode).toBe("M_FORBIDDEN");
    } finally {
      await hs.stop();
    }
  });

  it("stops working once the admin API or CLI creates an account", async () => {
    const config = await testConfig();
    schemas.push(config.database.schema);
    const hs = await createHomeserver(config);
    try {
      const token = hs.startup.firstAccountToken;
      expect(typeof token).toBe("string");
      const app = hs.app();
      expect(await tokenValidity(app, token)).toEqual({ valid: true });
      // What `hearth admin user add` and PUT /_synapse/admin/v2/users/{id} both call.
      await createOrModifyUser(hs.ctx, "cli", "@boss:hearth.test", {
        password: "pw",
        admin: true,
        logoutDevices: false,
      });
      const after = await register(app, { username: "stranger", password: "x" });
      expect(after.status).toBe(403);
      expect(after.json.errcode).toBe("M_FORBIDDEN");
    } finally {
      await hs.stop();
    }
  });
});
