import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc } from "../sync/helpers.ts";

let hs: TestHomeserver;
let alice: Session;
let bob: Session;
beforeAll(async () => {
  hs = await startTestHomeserver();
  alice = await createTestUser(hs, "alice");
  bob = await createTestUser(hs, "bob");
});
afterAll(() => hs?.destroy());

const filterPath = (s: Session) => `/user/${enc(s.userId)}/filter`;

describe("filters", () => {
  it("store a filter verbatim and read it back", async () => {
    const filter = {
      room: { timeline: { limit: 5, types: ["m.room.*"] }, state: { lazy_load_members: true } },
      event_fields: ["type", "content.body"],
      "org.example.unknown": { kept: true },
    };
    const created = await call(hs, alice, "POST", filterPath(alice), filter);
    expect(created.status).toBe(200);
    const id = created.body.filter_id as string;
    expect(typeof id).toBe("string");
    expect(id.startsWith("{")).toBe(false);
    const got = await call(hs, alice, "GET", `${filterPath(alice)}/${enc(id)}`);
    expect(got).toEqual({ status: 200, body: filter });
    // r0 too
    const r0 = await hs.app().request(`/_matrix/client/r0/user/${enc(alice.userId)}/filter/${id}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(r0.status).toBe(200);
  });

  it("403 for another user's id, both ways; filters are per user", async () => {
    const post = await call(hs, alice, "POST", filterPath(bob), {});
    expect(post.status).toBe(403);
    expect(post.body.errcode).toBe("M_FORBIDDEN");
    const { body } = await call(hs, bob, "POST", filterPath(bob), {});
    const get = await call(hs, alice, "GET", `${filterPath(bob)}/${body.filter_id as string}`);
    expect(get.status).toBe(403);
    // Alice's namespace does not contain Bob's filter.
    const own = await call(hs, alice, "GET", `${filterPath(alice)}/${body.filter_id as string}`);
    expect(own.status).toBe(404);
  });

  it("404 M_NOT_FOUND for unknown or malformed ids", async () => {
    for (const id of ["999999", "abc", "{}", "1".repeat(40)]) {
      const res = await call(hs, alice, "GET", `${filterPath(alice)}/${enc(id)}`);
      expect(res.status, id).toBe(404);
      expect(res.body.errcode).toBe("M_NOT_FOUND");
    }
  });

  it("400 for invalid filters and bodies", async () => {
    for (const bad of [
      { room: { timeline: { limit: "ten" } } },
      { event_format: "xml" },
      { room: { state: { types: "m.room.member" } } },
      { presence: [] },
    ]) {
      const res = await call(hs, alice, "POST", filterPath(alice), bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
    }
    expect((await call(hs, alice, "POST", filterPath(alice), "[1]")).body.errcode).toBe("M_BAD_JSON");
    expect((await call(hs, alice, "POST", filterPath(alice), "{nope")).body.errcode).toBe("M_NOT_JSON");
  });

  it("401 without a token", async () => {
    expect((await call(hs, undefined, "POST", filterPath(alice), {})).status).toBe(401);
  });
});
