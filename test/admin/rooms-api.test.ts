import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { updateMembership } from "../../src/rooms/membership.ts";
import { getCurrentMembership } from "../../src/storage/rooms/memberships.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { makeRoom, roomEvents } from "../rooms/helpers.ts";
import { adminAndUser, adminCall, call, expectError, v1, v2 } from "./support.ts";

let hs: TestHomeserver;
let admin: Session;
let user: Session;
let general: string;
let quiet: string;

beforeAll(async () => {
  hs = await startTestHomeserver();
  ({ admin, user } = await adminAndUser(hs));
  general = (
    await makeRoom(hs.ctx, user.userId, {
      preset: "public_chat",
      name: "General chat",
      alias: "#general:hearth.test",
      isPublic: true,
    })
  ).roomId;
  await updateMembership(hs.ctx, {
    roomId: general,
    sender: admin.userId,
    target: admin.userId,
    action: "join",
  });
  quiet = (await makeRoom(hs.ctx, admin.userId, { name: "Quiet corner" })).roomId;
});
afterAll(() => hs.destroy());

type Room = Record<string, unknown>;

describe("admin rooms API", () => {
  it("lists rooms with Synapse's room object, ordered, searched and paged", async () => {
    const res = await adminCall(hs, admin, "GET", v1("/rooms"));
    expect(res.status).toBe(200);
    expect(res.body.total_rooms).toBe(2);
    expect(res.body.offset).toBe(0);
    const rooms = res.body.rooms as Room[];
    expect(rooms.map((r) => r.name)).toEqual(["General chat", "Quiet corner"]);
    expect(rooms[0]).toMatchObject({
      room_id: general,
      canonical_alias: "#general:hearth.test",
      joined_members: 2,
      joined_local_members: 2,
      version: "12",
      creator: user.userId,
      encryption: null,
      federatable: true,
      public: true,
      join_rules: "public",
      history_visibility: "shared",
      room_type: null,
    });
    expect(rooms[0]!.state_events).toBeGreaterThan(4);

    const bySize = await adminCall(hs, admin, "GET", v1("/rooms?order_by=joined_members"));
    expect((bySize.body.rooms as Room[]).map((r) => r.room_id)).toEqual([general, quiet]);
    const reversed = await adminCall(hs, admin, "GET", v1("/rooms?order_by=joined_members&dir=b"));
    expect((reversed.body.rooms as Room[]).map((r) => r.room_id)).toEqual([quiet, general]);

    const search = await adminCall(hs, admin, "GET", v1("/rooms?search_term=quiet"));
    expect((search.body.rooms as Room[]).map((r) => r.room_id)).toEqual([quiet]);
    const byAlias = await adminCall(hs, admin, "GET", v1("/rooms?search_term=gener"));
    expect((byAlias.body.rooms as Room[]).map((r) => r.room_id)).toEqual([general]);

    const first = await adminCall(hs, admin, "GET", v1("/rooms?limit=1"));
    expect(first.body.next_batch).toBe(1);
    const second = await adminCall(hs, admin, "GET", v1("/rooms?limit=1&from=1"));
    expect((second.body.rooms as Room[]).map((r) => r.room_id)).toEqual([quiet]);
    expect(second.body.next_batch).toBeUndefined();
    expect(second.body.prev_batch).toBe(0);

    const publicOnly = await adminCall(hs, admin, "GET", v1("/rooms?public_rooms=true"));
    expect((publicOnly.body.rooms as Room[]).map((r) => r.room_id)).toEqual([general]);

    expectError(await adminCall(hs, admin, "GET", v1("/rooms?order_by=colour")), 400, "M_INVALID_PARAM");
    expectError(await adminCall(hs, admin, "GET", v1("/rooms?from=x")), 400, "M_INVALID_PARAM");
  });

  it("shows details, members and state", async () => {
    const details = await adminCall(hs, admin, "GET", v1(`/rooms/${general}`));
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({
      room_id: general,
      name: "General chat",
      topic: null,
      avatar: null,
      joined_local_devices: 2,
      forgotten: false,
      tombstoned: false,
      replacement_room: null,
    });
    const members = await adminCall(hs, admin, "GET", v1(`/rooms/${general}/members`));
    expect(members.body).toEqual({ members: [admin.userId, user.userId].sort(), total: 2 });
    const state = await adminCall(hs, admin, "GET", v1(`/rooms/${general}/state`));
    const types = (state.body.state as Room[]).map((e) => e.type);
    expect(types).toContain("m.room.create");
    expect(types).toContain("m.room.power_levels");
    const onlyName = await adminCall(hs, admin, "GET", v1(`/rooms/${general}/state?type=m.room.name`));
    expect(onlyName.body.state).toHaveLength(1);
    expect((onlyName.body.state as Room[])[0]).toMatchObject({
      type: "m.room.name",
      content: { name: "General chat" },
    });

    expectError(await adminCall(hs, admin, "GET", v1("/rooms/!nope:hearth.test")), 404, "M_NOT_FOUND");
    expectError(await adminCall(hs, admin, "GET", v1("/rooms/nope")), 400, "M_INVALID_PARAM");
  });

  it("blocks and unblocks a room; a blocked room refuses joins", async () => {
    const path = v1(`/rooms/${quiet}/block`);
    expect((await adminCall(hs, admin, "GET", path)).body).toEqual({ block: false });
    expect((await adminCall(hs, admin, "PUT", path, { block: true })).body).toEqual({ block: true });
    expect((await adminCall(hs, admin, "GET", path)).body).toEqual({ block: true, user_id: admin.userId });
    await expect(
      updateMembership(hs.ctx, {
        roomId: quiet,
        sender: admin.userId,
        target: user.userId,
        action: "invite",
      }),
    ).rejects.toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });
    expect((await adminCall(hs, admin, "PUT", path, { block: false })).body).toEqual({ block: false });
    expectError(await adminCall(hs, admin, "PUT", path, { block: "yes" }), 400, "M_INVALID_PARAM");
  });

  it("deletes a room: everyone local leaves through the room writer, then block and purge", async () => {
    const doomed = (
      await makeRoom(hs.ctx, admin.userId, { preset: "public_chat", alias: "#doomed:hearth.test" })
    ).roomId;
    const carol = await createTestUser(hs, "carol");
    await updateMembership(hs.ctx, {
      roomId: doomed,
      sender: carol.userId,
      target: carol.userId,
      action: "join",
    });
    await updateMembership(hs.ctx, {
      roomId: doomed,
      sender: admin.userId,
      target: user.userId,
      action: "invite",
    });

    // Without purge first, so the leave events can be inspected.
    const res = await adminCall(hs, admin, "DELETE", v2(`/rooms/${doomed}`), { block: true, purge: false });
    expect(res.status).toBe(200);
    const deleteId = res.body.delete_id as string;
    expect(typeof deleteId).toBe("string");
    await hs.ctx.admin.jobs.idle();

    const status = await adminCall(hs, admin, "GET", v2(`/rooms/delete_status/${deleteId}`));
    expect(status.body).toEqual({
      delete_id: deleteId,
      room_id: doomed,
      status: "complete",
      shutdown_room: {
        kicked_users: [admin.userId, carol.userId, user.userId].sort(),
        failed_to_kick_users: [],
        local_aliases: ["#doomed:hearth.test"],
        new_room_id: null,
      },
    });
    const byRoom = await adminCall(hs, admin, "GET", v2(`/rooms/${doomed}/delete_status`));
    expect(byRoom.body.results).toEqual([status.body]);

    for (const u of [admin.userId, carol.userId, user.userId]) {
      expect((await getCurrentMembership(hs.ctx.db, doomed, u))?.membership).toBe("leave");
    }
    const leaves = (await roomEvents(hs.ctx, doomed)).filter(
      (e) => e.pdu.type === "m.room.member" && e.pdu.content.membership === "leave",
    );
    // Each leave is the user's own, signed by this server like any other event.
    expect(leaves.map((e) => [e.pdu.sender, e.pdu.state_key])).toEqual(
      expect.arrayContaining([
        [carol.userId, carol.userId],
        [user.userId, user.userId],
        [admin.userId, admin.userId],
      ]),
    );
    expect(Object.keys(leaves[0]!.pdu.signatures as object)).toEqual(["hearth.test"]);
    expect(
      (
        await call(
          hs,
          "GET",
          `/_matrix/client/v3/directory/room/${encodeURIComponent("#doomed:hearth.test")}`,
        )
      ).status,
    ).toBe(404);

    // Blocked: nobody local may come back.
    await expect(
      updateMembership(hs.ctx, {
        roomId: doomed,
        sender: carol.userId,
        target: carol.userId,
        action: "join",
      }),
    ).rejects.toMatchObject({ status: 403 });

    // Now purge: every row of the room goes, the status rows stay.
    const purge = await adminCall(hs, admin, "DELETE", v2(`/rooms/${doomed}`), {});
    await hs.ctx.admin.jobs.idle();
    const purged = await adminCall(
      hs,
      admin,
      "GET",
      v2(`/rooms/delete_status/${purge.body.delete_id as string}`),
    );
    expect(purged.body.status).toBe("complete");
    expect(await roomEvents(hs.ctx, doomed)).toEqual([]);
    expectError(await adminCall(hs, admin, "GET", v1(`/rooms/${doomed}`)), 404, "M_NOT_FOUND");
    for (const table of [
      "current_state",
      "current_memberships",
      "room_memberships",
      "forward_extremities",
      "state_groups",
    ] as const) {
      const left = await hs.ctx.db
        .selectFrom(table)
        .select("room_id")
        .where("room_id", "=", doomed)
        .execute();
      expect(left, table).toEqual([]);
    }
    expect(
      (await adminCall(hs, admin, "GET", v2(`/rooms/${doomed}/delete_status`))).body.results,
    ).toHaveLength(2);
    // The other rooms are untouched.
    expect((await roomEvents(hs.ctx, general)).length).toBeGreaterThan(0);
  });

  it("refuses bad deletions", async () => {
    expectError(
      await adminCall(hs, admin, "DELETE", v2("/rooms/!unknown:hearth.test"), {}),
      404,
      "M_NOT_FOUND",
    );
    expectError(
      await call(hs, "DELETE", v2(`/rooms/${quiet}`), { token: admin.accessToken }),
      400,
      "M_NOT_JSON",
    );
    expectError(
      await adminCall(hs, admin, "DELETE", v2(`/rooms/${quiet}`), { purge: "no" }),
      400,
      "M_INVALID_PARAM",
    );
    expectError(
      await adminCall(hs, admin, "DELETE", v2(`/rooms/${quiet}`), { new_room_user_id: admin.userId }),
      400,
      "M_INVALID_PARAM",
    );
    expectError(await adminCall(hs, admin, "GET", v2("/rooms/delete_status/nope")), 404, "M_NOT_FOUND");
    expectError(await adminCall(hs, admin, "GET", v2(`/rooms/${quiet}/delete_status`)), 404, "M_NOT_FOUND");
  });
});
