/**
 * Inbound E2EE EDUs, fed straight to the instance's EDU dispatch (as the /send pipeline does after
 * authenticating the origin): m.direct_to_device reaches local devices, device list and signing key
 * updates put the remote user on the device_lists stream. Sending them out is not done yet.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { RoomDriver } from "../sync/helpers.ts";

let hs: TestHomeserver;
let rooms: RoomDriver;
beforeAll(async () => {
  hs = await startTestHomeserver();
  rooms = new RoomDriver(hs);
});
afterAll(() => hs?.destroy());

type Json = Record<string, unknown>;
const dispatch = (origin: string, type: string, content: Json) =>
  hs.ctx.federationInbound.edus.dispatch(hs.ctx, origin, type, content as never);

describe("inbound E2EE EDUs", () => {
  it("m.direct_to_device from the sender's server is delivered; from another server or malformed, dropped", async () => {
    const bob = await createTestUser(hs, "bob", { deviceId: "B1" });
    const start = await rooms.sync(bob);
    const edu = (sender: string, content: Json) => ({
      sender,
      type: "m.room_key_request",
      message_id: "m1",
      messages: { [bob.userId]: { "*": content } },
    });
    await dispatch("remote.example", "m.direct_to_device", edu("@alice:remote.example", { n: 1 }));
    await dispatch("evil.example", "m.direct_to_device", edu("@alice:remote.example", { n: 2 }));
    await dispatch("remote.example", "m.direct_to_device", {
      ...edu("@alice:remote.example", {}),
      messages: [],
    });
    await dispatch(
      "remote.example",
      "m.direct_to_device",
      edu("@alice:remote.example", { big: "x".repeat(70_000) }),
    );
    const body = await rooms.sync(bob, { since: start.next_batch as string });
    expect((body.to_device as { events: Json[] }).events).toEqual([
      { sender: "@alice:remote.example", type: "m.room_key_request", content: { n: 1 } },
    ]);
  });

  it("m.device_list_update and m.signing_key_update record a change for the remote user from its own server", async () => {
    const changes = () =>
      hs.ctx.db
        .selectFrom("device_list_changes")
        .select(["user_id", "device_id"])
        .where("user_id", "=", "@carol:remote.example")
        .orderBy("stream_id")
        .execute();
    await dispatch("remote.example", "m.device_list_update", {
      user_id: "@carol:remote.example",
      device_id: "CDEV",
      stream_id: 5,
      prev_id: [4],
    });
    await dispatch("elsewhere.example", "m.device_list_update", {
      user_id: "@carol:remote.example",
      device_id: "X",
    });
    await dispatch("remote.example", "m.device_list_update", { user_id: "@carol:remote.example" });
    await dispatch("remote.example", "m.signing_key_update", {
      user_id: "@carol:remote.example",
      master_key: {},
    });
    expect(await changes()).toEqual([
      { user_id: "@carol:remote.example", device_id: "CDEV" },
      { user_id: "@carol:remote.example", device_id: null },
    ]);
  });
});
