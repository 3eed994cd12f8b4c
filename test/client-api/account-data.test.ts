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

const ROOM = "!room:hearth.test";
const global = (s: Session, type: string) => `/user/${enc(s.userId)}/account_data/${enc(type)}`;
const inRoom = (s: Session, room: string, type: string) =>
  `/user/${enc(s.userId)}/rooms/${enc(room)}/account_data/${enc(type)}`;
const tags = (s: Session, room: string, tag?: string) =>
  `/user/${enc(s.userId)}/rooms/${enc(room)}/tags${tag === undefined ? "" : `/${enc(tag)}`}`;

describe("account data", () => {
  it("global: PUT then GET, replaced by a later PUT; unknown → 404", async () => {
    expect((await call(hs, alice, "GET", global(alice, "org.example.cfg"))).body.errcode).toBe("M_NOT_FOUND");
    expect(await call(hs, alice, "PUT", global(alice, "org.example.cfg"), { a: 1 })).toEqual({
      status: 200,
      body: {},
    });
    expect((await call(hs, alice, "GET", global(alice, "org.example.cfg"))).body).toEqual({ a: 1 });
    await call(hs, alice, "PUT", global(alice, "org.example.cfg"), { b: [1.5, "x"] });
    expect((await call(hs, alice, "GET", global(alice, "org.example.cfg"))).body).toEqual({ b: [1.5, "x"] });
    // Global and room account data are separate namespaces.
    expect((await call(hs, alice, "GET", inRoom(alice, ROOM, "org.example.cfg"))).status).toBe(404);
  });

  it("room: PUT then GET; room ids are checked", async () => {
    await call(hs, alice, "PUT", inRoom(alice, ROOM, "org.example.room"), { r: true });
    expect((await call(hs, alice, "GET", inRoom(alice, ROOM, "org.example.room"))).body).toEqual({ r: true });
    for (const method of ["GET", "PUT"]) {
      const res = await call(hs, alice, method, inRoom(alice, "@notaroom:x", "t"), {});
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
  });

  it("m.fully_read and m.push_rules cannot be set directly: 405 M_BAD_JSON", async () => {
    for (const type of ["m.fully_read", "m.push_rules"]) {
      for (const path of [global(alice, type), inRoom(alice, ROOM, type)]) {
        const res = await call(hs, alice, "PUT", path, { event_id: "$x" });
        expect(res.status).toBe(405);
        expect(res.body.errcode).toBe("M_BAD_JSON");
      }
    }
  });

  it("other users: 403; bad bodies: 400", async () => {
    for (const method of ["GET", "PUT"]) {
      expect((await call(hs, alice, method, global(bob, "x"), {})).status).toBe(403);
      expect((await call(hs, alice, method, inRoom(bob, ROOM, "x"), {})).status).toBe(403);
    }
    expect((await call(hs, alice, "PUT", global(alice, "x"), "[]")).body.errcode).toBe("M_BAD_JSON");
    expect((await call(hs, alice, "PUT", global(alice, "x"), "nope")).body.errcode).toBe("M_NOT_JSON");
    expect((await call(hs, alice, "PUT", global(alice, "x"), "")).body.errcode).toBe("M_NOT_JSON");
  });
});

describe("tags", () => {
  it("add, list, delete; stored as room account data m.tag", async () => {
    expect((await call(hs, alice, "GET", tags(alice, ROOM))).body).toEqual({ tags: {} });
    expect((await call(hs, alice, "PUT", tags(alice, ROOM, "m.favourite"), { order: 0.25 })).status).toBe(
      200,
    );
    expect((await call(hs, alice, "PUT", tags(alice, ROOM, "u.Work/Stuff"), {})).status).toBe(200);
    expect((await call(hs, alice, "GET", tags(alice, ROOM))).body).toEqual({
      tags: { "m.favourite": { order: 0.25 }, "u.Work/Stuff": {} },
    });
    expect((await call(hs, alice, "GET", inRoom(alice, ROOM, "m.tag"))).body).toEqual({
      tags: { "m.favourite": { order: 0.25 }, "u.Work/Stuff": {} },
    });
    expect((await call(hs, alice, "DELETE", tags(alice, ROOM, "m.favourite"))).status).toBe(200);
    expect((await call(hs, alice, "DELETE", tags(alice, ROOM, "never.set"))).status).toBe(200);
    expect((await call(hs, alice, "GET", tags(alice, ROOM))).body).toEqual({ tags: { "u.Work/Stuff": {} } });
  });

  it("bad input: other user 403, order not a number 400, bad room id 400, long tag 400", async () => {
    expect((await call(hs, alice, "GET", tags(bob, ROOM))).status).toBe(403);
    expect((await call(hs, alice, "PUT", tags(bob, ROOM, "t"), {})).status).toBe(403);
    expect((await call(hs, alice, "DELETE", tags(bob, ROOM, "t"))).status).toBe(403);
    const order = await call(hs, alice, "PUT", tags(alice, ROOM, "t"), { order: "first" });
    expect(order.status).toBe(400);
    expect(order.body.errcode).toBe("M_BAD_JSON");
    expect((await call(hs, alice, "GET", tags(alice, "nope"))).body.errcode).toBe("M_INVALID_PARAM");
    expect((await call(hs, alice, "PUT", tags(alice, ROOM, "x".repeat(256)), {})).status).toBe(400);
  });

  it("concurrent tag edits do not lose each other", async () => {
    const room = "!concurrent:hearth.test";
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(hs, alice, "PUT", tags(alice, room, `u.t${i}`), { order: i / 10 }),
      ),
    );
    const { body } = await call(hs, alice, "GET", tags(alice, room));
    expect(Object.keys(body.tags as object).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `u.t${i}`));
  });
});
