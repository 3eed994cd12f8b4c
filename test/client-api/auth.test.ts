import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { bearer, createTestUser } from "../support/users.ts";
import { sql } from "kysely";

let hs: TestHomeserver;
let now = 1_700_000_000_000;
beforeAll(async () => {
  hs = await startTestHomeserver({}, { clock: () => now });
});
afterAll(() => hs?.destroy());

const whoami = (init?: RequestInit, query = "") =>
  hs.app().request(`/_matrix/client/v3/account/whoami${query}`, init);

describe("access tokens", () => {
  it("authenticate by Bearer header, by ?access_token=, under v3 and r0", async () => {
    const alice = await createTestUser(hs, "alice", { deviceId: "ALICEDEV" });
    const expected = { user_id: "@alice:hearth.test", device_id: "ALICEDEV", is_guest: false };
    expect(await (await whoami({ headers: bearer(alice) })).json()).toEqual(expected);
    expect(await (await whoami(undefined, `?access_token=${alice.accessToken}`)).json()).toEqual(expected);
    const r0 = await hs.app().request("/_matrix/client/r0/account/whoami", { headers: bearer(alice) });
    expect(await r0.json()).toEqual(expected);
  });

  it("missing → 401 M_MISSING_TOKEN; unknown or malformed → 401 M_UNKNOWN_TOKEN", async () => {
    const missing = await whoami();
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ errcode: "M_MISSING_TOKEN" });
    for (const authorization of ["Bearer hat_nope", "Bearer", "Basic abc", "Bearer a b"]) {
      const res = await whoami({ headers: { authorization } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { errcode: string }).errcode).toMatch(/^M_(UNKNOWN|MISSING)_TOKEN$/);
    }
  });

  it("expired → 401 M_UNKNOWN_TOKEN with soft_logout", async () => {
    const session = await startSession(hs.ctx, (await createTestUser(hs, "carol")).userId, {
      expiresInMs: 1000,
    });
    expect((await whoami({ headers: bearer(session) })).status).toBe(200);
    now += 1000;
    const res = await whoami({ headers: bearer(session) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: true });
  });

  it("a deactivated user's token stops working", async () => {
    const dave = await createTestUser(hs, "dave");
    await hs.ctx.db
      .updateTable("users")
      .set({ deactivated: true })
      .where("user_id", "=", dave.userId)
      .execute();
    expect((await whoami({ headers: bearer(dave) })).status).toBe(401);
  });

  it("tokens are stored only as hashes", async () => {
    const erin = await createTestUser(hs, "erin");
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM access_tokens WHERE encode(token_hash, 'escape') LIKE ${"%" + erin.accessToken + "%"}`.execute(
      hs.ctx.db,
    );
    expect(rows[0]?.n).toBe(0);
    expect(erin.accessToken.length).toBeGreaterThanOrEqual(32);
  });

  it("records last_seen_ts on use", async () => {
    const frank = await createTestUser(hs, "frank", { deviceId: "FRANKDEV" });
    await whoami({ headers: bearer(frank) });
    const row = await hs.ctx.db
      .selectFrom("devices")
      .select("last_seen_ts")
      .where("user_id", "=", frank.userId)
      .executeTakeFirstOrThrow();
    expect(Number(row.last_seen_ts)).toBe(now);
  });
});
