import { afterAll, describe, expect, it } from "vitest";
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
});
