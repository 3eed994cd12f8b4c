import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { makeRoom } from "../rooms/helpers.ts";
import { updateMembership } from "../../src/rooms/membership.ts";
import { getCurrentMembership } from "../../src/storage/rooms/memberships.ts";
import { adminAndUser, adminCall, call, expectError, v1, v2 } from "./support.ts";

let hs: TestHomeserver;
let admin: Session;
let user: Session;

beforeAll(async () => {
  hs = await startTestHomeserver({ rate_limits: { login: { per_second: 1000, burst: 1000 } } });
  ({ admin, user } = await adminAndUser(hs));
});
afterAll(() => hs.destroy());

const id = (localpart: string): string => `@${localpart}:hearth.test`;
const login = (localpart: string, password: string) =>
  call(hs, "POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password },
  });

describe("admin users API", () => {
  it("shows a user with Synapse's fields", async () => {
    const res = await adminCall(hs, admin, "GET", v2(`/users/${encodeURIComponent(user.userId)}`));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: user.userId,
      admin: false,
      deactivated: false,
      erased: false,
      is_guest: false,
      shadow_banned: false,
      displayname: null,
      avatar_url: null,
      threepids: [],
      user_type: null,
    });
    expect(typeof res.body.creation_ts).toBe("number");
  });

  it("404s an unknown user and 400s a remote or malformed one", async () => {
    expectError(await adminCall(hs, admin, "GET", v2(`/users/${id("nobody")}`)), 404, "M_NOT_FOUND");
    expect((await adminCall(hs, admin, "GET", v2("/users/@x:elsewhere.org"))).status).toBe(400);
    expectError(await adminCall(hs, admin, "GET", v2("/users/not-a-user")), 400, "M_INVALID_PARAM");
  });

  it("creates with PUT (201), then modifies (200); the new password logs in", async () => {
    const created = await adminCall(hs, admin, "PUT", v2(`/users/${id("carol")}`), {
      password: "carol-pw",
      displayname: "Carol",
      admin: false,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: id("carol"), displayname: "Carol", admin: false });
    expect((await login("carol", "carol-pw")).status).toBe(200);

    const modified = await adminCall(hs, admin, "PUT", v2(`/users/${id("carol")}`), {
      displayname: "Carol C",
      admin: true,
      password: "carol-pw2",
    });
    expect(modified.status).toBe(200);
    expect(modified.body).toMatchObject({ displayname: "Carol C", admin: true });
    expect((await login("carol", "carol-pw")).status).toBe(403);
    expect((await login("carol", "carol-pw2")).status).toBe(200);
  });

  it("defaults a new account's display name to its localpart, as Synapse does", async () => {
    const res = await adminCall(hs, admin, "PUT", v2(`/users/${id("dora")}`), {});
    expect(res.status).toBe(201);
    expect(res.body.displayname).toBe("dora");
  });

  it("refuses bad PUT bodies", async () => {
    const path = v2(`/users/${id("erin")}`);
    expectError(await adminCall(hs, admin, "PUT", path, { admin: "yes" }), 400, "M_INVALID_PARAM");
    expectError(await adminCall(hs, admin, "PUT", path, { password: 5 }), 400, "M_BAD_JSON");
    expectError(
      await adminCall(hs, admin, "PUT", path, { password: "x".repeat(513) }),
      400,
      "M_INVALID_PARAM",
    );
    expectError(await adminCall(hs, admin, "PUT", path, { user_type: "bot" }), 400, "M_INVALID_PARAM");
    expectError(await adminCall(hs, admin, "PUT", path, "[1]"), 400, "M_BAD_JSON");
    expectError(await adminCall(hs, admin, "PUT", path, "{"), 400, "M_NOT_JSON");
    expectError(
      await adminCall(hs, admin, "PUT", v2(`/users/${id("Upper")}`), {}),
      400,
      "M_INVALID_USERNAME",
    );
    expectError(await adminCall(hs, admin, "GET", path), 404, "M_NOT_FOUND");
  });

  it("lists users with paging, filters and order", async () => {
    const page = await adminCall(hs, admin, "GET", v2("/users?from=0&limit=2"));
    expect(page.status).toBe(200);
    const users = page.body.users as Array<Record<string, unknown>>;
    expect(users).toHaveLength(2);
    expect(page.body.next_token).toBe("2");
    expect(page.body.total).toBeGreaterThanOrEqual(4);
    const names = users.map((u) => u.name as string);
    expect(names).toEqual([...names].sort());

    const rest = await adminCall(
      hs,
      admin,
      "GET",
      v2(`/users?from=${page.body.next_token as string}&limit=100`),
    );
    expect(rest.body.next_token).toBeUndefined();
    expect((rest.body.users as unknown[]).length + 2).toBe(page.body.total);

    const admins = await adminCall(hs, admin, "GET", v2("/users?admins=true"));
    expect((admins.body.users as Array<{ admin: boolean }>).every((u) => u.admin)).toBe(true);

    const byName = await adminCall(hs, admin, "GET", v2("/users?name=ALI"));
    expect((byName.body.users as Array<{ name: string }>).map((u) => u.name)).toEqual([user.userId]);

    const back = await adminCall(hs, admin, "GET", v2("/users?dir=b&order_by=name"));
    const backNames = (back.body.users as Array<{ name: string }>).map((u) => u.name);
    expect(backNames).toEqual([...backNames].sort().reverse());

    expectError(await adminCall(hs, admin, "GET", v2("/users?limit=-1")), 400, "M_INVALID_PARAM");
    expectError(await adminCall(hs, admin, "GET", v2("/users?order_by=shoe_size")), 400, "M_INVALID_PARAM");
    expectError(await adminCall(hs, admin, "GET", v2("/users?guests=maybe")), 400, "M_INVALID_PARAM");
  });

  it("resets a password, logging devices out by default", async () => {
    const frank = await createTestUser(hs, "frank", { password: "old-pw" });
    const res = await adminCall(hs, admin, "POST", v1(`/reset_password/${frank.userId}`), {
      new_password: "new-pw",
    });
    expect(res.status).toBe(200);
    expectError(
      await call(hs, "GET", "/_matrix/client/v3/account/whoami", { token: frank.accessToken }),
      401,
      "M_UNKNOWN_TOKEN",
    );
    expect((await login("frank", "new-pw")).status).toBe(200);
    expectError(
      await adminCall(hs, admin, "POST", v1(`/reset_password/${frank.userId}`), {}),
      400,
      "M_MISSING_PARAM",
    );
    expectError(
      await adminCall(hs, admin, "POST", v1(`/reset_password/${id("ghost")}`), { new_password: "x" }),
      404,
      "M_NOT_FOUND",
    );
  });

  it("reads and sets admin; an admin cannot demote themselves", async () => {
    const path = v1(`/users/${user.userId}/admin`);
    expect((await adminCall(hs, admin, "GET", path)).body).toEqual({ admin: false });
    expect((await adminCall(hs, admin, "PUT", path, { admin: true })).status).toBe(200);
    expect((await adminCall(hs, admin, "GET", path)).body).toEqual({ admin: true });
    expect((await adminCall(hs, admin, "PUT", path, { admin: false })).status).toBe(200);
    expect(
      (await adminCall(hs, admin, "PUT", v1(`/users/${admin.userId}/admin`), { admin: false })).status,
    ).toBe(400);
    expectError(await adminCall(hs, admin, "PUT", path, { admin: 1 }), 400, "M_INVALID_PARAM");
  });

  it("lists, shows and deletes devices; whois shows connections", async () => {
    const gina = await createTestUser(hs, "gina", { deviceId: "PHONE" });
    await call(hs, "GET", "/_matrix/client/v3/account/whoami", { token: gina.accessToken });
    const list = await adminCall(hs, admin, "GET", v2(`/users/${gina.userId}/devices`));
    expect(list.body.total).toBe(1);
    expect((list.body.devices as Array<Record<string, unknown>>)[0]).toMatchObject({
      device_id: "PHONE",
      user_id: gina.userId,
    });
    const one = await adminCall(hs, admin, "GET", v2(`/users/${gina.userId}/devices/PHONE`));
    expect(one.body.device_id).toBe("PHONE");
    expect(
      (
        await adminCall(hs, admin, "PUT", v2(`/users/${gina.userId}/devices/PHONE`), {
          display_name: "Pixel",
        })
      ).status,
    ).toBe(200);
    expect(
      (await adminCall(hs, admin, "GET", v2(`/users/${gina.userId}/devices/PHONE`))).body.display_name,
    ).toBe("Pixel");

    const who = await adminCall(hs, admin, "GET", v1(`/whois/${gina.userId}`));
    expect(who.body.user_id).toBe(gina.userId);
    const sessions = (who.body.devices as Record<string, { sessions: Array<{ connections: unknown[] }> }>)[
      ""
    ]!;
    expect(sessions.sessions[0]!.connections).toHaveLength(1);

    expect((await adminCall(hs, admin, "DELETE", v2(`/users/${gina.userId}/devices/PHONE`))).status).toBe(
      200,
    );
    expectError(
      await adminCall(hs, admin, "GET", v2(`/users/${gina.userId}/devices/PHONE`)),
      404,
      "M_NOT_FOUND",
    );
    expectError(
      await call(hs, "GET", "/_matrix/client/v3/account/whoami", { token: gina.accessToken }),
      401,
      "M_UNKNOWN_TOKEN",
    );
  });

  it("deactivates: tokens die, rooms are left with leave events, erase drops the profile", async () => {
    const hank = await createTestUser(hs, "hank", { password: "hank-pw" });
    await adminCall(hs, admin, "PUT", v2(`/users/${hank.userId}`), { displayname: "Hank" });
    const { roomId } = await makeRoom(hs.ctx, admin.userId, { preset: "public_chat" });
    await updateMembership(hs.ctx, { roomId, sender: hank.userId, target: hank.userId, action: "join" });
    const joined = await adminCall(hs, admin, "GET", v1(`/users/${hank.userId}/joined_rooms`));
    expect(joined.body).toEqual({ joined_rooms: [roomId], total: 1 });

    const res = await adminCall(hs, admin, "POST", v1(`/deactivate/${hank.userId}`), { erase: true });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id_server_unbind_result: "success" });
    expect((await getCurrentMembership(hs.ctx.db, roomId, hank.userId))?.membership).toBe("leave");
    expectError(
      await call(hs, "GET", "/_matrix/client/v3/account/whoami", { token: hank.accessToken }),
      401,
      "M_UNKNOWN_TOKEN",
    );
    expect((await login("hank", "hank-pw")).status).toBe(403);
    const shown = await adminCall(hs, admin, "GET", v2(`/users/${hank.userId}`));
    expect(shown.body).toMatchObject({ deactivated: true, erased: true, displayname: null });

    // Listing hides deactivated accounts unless asked.
    const listed = await adminCall(hs, admin, "GET", v2("/users?limit=100"));
    expect((listed.body.users as Array<{ name: string }>).map((u) => u.name)).not.toContain(hank.userId);
    const all = await adminCall(hs, admin, "GET", v2("/users?deactivated=true&limit=100"));
    expect((all.body.users as Array<{ name: string }>).map((u) => u.name)).toContain(hank.userId);

    // Reactivation needs a password, since erase forgot it.
    expect(
      (await adminCall(hs, admin, "PUT", v2(`/users/${hank.userId}`), { deactivated: false })).status,
    ).toBe(400);
    const back = await adminCall(hs, admin, "PUT", v2(`/users/${hank.userId}`), {
      deactivated: false,
      password: "again",
    });
    expect(back.body.deactivated).toBe(false);
    expect((await login("hank", "again")).status).toBe(200);
  });

  it("deactivate accepts an empty body and refuses a bad erase", async () => {
    const ivy = await createTestUser(hs, "ivy");
    expectError(
      await adminCall(hs, admin, "POST", v1(`/deactivate/${ivy.userId}`), { erase: "yes" }),
      400,
      "M_INVALID_PARAM",
    );
    expect(
      (await call(hs, "POST", v1(`/deactivate/${ivy.userId}`), { token: admin.accessToken })).status,
    ).toBe(200);
    expectError(
      await adminCall(hs, admin, "POST", v1(`/deactivate/${id("nobody")}`), {}),
      404,
      "M_NOT_FOUND",
    );
  });
});
