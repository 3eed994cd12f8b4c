import { createClient, EventType, MatrixError, Preset, Visibility, type MatrixClient } from "matrix-js-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEvent } from "../../src/storage/rooms/events.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { startRoomsHomeserver } from "./rooms-support.ts";

let hs: TestHomeserver;
let alice: MatrixClient;
let bob: MatrixClient;

beforeAll(async () => {
  hs = await startRoomsHomeserver();
  const [listener] = await hs.listen();
  if (!listener) throw new Error("no listener");
  const baseUrl = listener.url.replace(/\/$/, "");
  const client = async (name: string) => {
    const s = await createTestUser(hs, name);
    return createClient({ baseUrl, accessToken: s.accessToken, userId: s.userId, deviceId: s.deviceId });
  };
  alice = await client("alice");
  bob = await client("bob");
});
afterAll(() => hs?.destroy());

async function failure(promise: Promise<unknown>): Promise<MatrixError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MatrixError)) throw new Error(`expected a MatrixError, got ${String(err)}`);
  return err;
}

describe("rooms through matrix-js-sdk 37", () => {
  it("creates, chats, sets state, redacts, and manages membership", async () => {
    const { room_id: roomId } = await alice.createRoom({
      name: "SDK room",
      topic: "testing",
      preset: Preset.PublicChat,
      visibility: Visibility.Public,
      room_alias_name: "sdkroom",
    });
    expect(roomId).toMatch(/^!/);

    const joined = await bob.joinRoom("#sdkroom:hearth.test");
    expect(joined.roomId).toBe(roomId);
    expect((await bob.getJoinedRooms()).joined_rooms).toEqual([roomId]);

    const sent = await bob.sendTextMessage(roomId, "hello from the sdk");
    const stored = await getEvent(hs.ctx.db, sent.event_id);
    expect(stored?.pdu.content).toMatchObject({ msgtype: "m.text", body: "hello from the sdk" });

    await alice.sendStateEvent(roomId, EventType.RoomTopic, { topic: "changed" }, "");
    expect(await bob.getStateEvent(roomId, EventType.RoomTopic, "")).toEqual({ topic: "changed" });

    const redaction = await alice.redactEvent(roomId, sent.event_id, undefined, { reason: "moderated" });
    expect((await getEvent(hs.ctx.db, sent.event_id))?.redactedBy).toBe(redaction.event_id);

    const members = await alice.members(roomId);
    expect((members.chunk ?? []).map((e) => e.state_key).sort()).toEqual([
      "@alice:hearth.test",
      "@bob:hearth.test",
    ]);
    const joinedMembers = await alice.getJoinedRoomMembers(roomId);
    expect(Object.keys(joinedMembers.joined).sort()).toEqual(["@alice:hearth.test", "@bob:hearth.test"]);

    await alice.kick(roomId, "@bob:hearth.test", "bye");
    await alice.ban(roomId, "@bob:hearth.test", "and stay out");
    const denied = await failure(bob.joinRoom(roomId));
    expect(denied.httpStatus).toBe(403);
    await alice.unban(roomId, "@bob:hearth.test");
    await bob.joinRoom(roomId);
    await bob.leave(roomId);
    await bob.forget(roomId);
    expect((await bob.getJoinedRooms()).joined_rooms).toEqual([]);
  });

  it("invites and rejects", async () => {
    const { room_id: roomId } = await alice.createRoom({ invite: ["@bob:hearth.test"], is_direct: true });
    await bob.leave(roomId);
    await alice.invite(roomId, "@bob:hearth.test");
    await bob.joinRoom(roomId);
    expect((await bob.getJoinedRooms()).joined_rooms).toContain(roomId);
  });

  it("surfaces spec errors", async () => {
    const err = await failure(alice.createRoom({ room_version: "42" }));
    expect(err.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");
    const notMember = await failure(bob.sendTextMessage("!nowhere:hearth.test", "x"));
    expect(notMember.errcode).toBe("M_NOT_FOUND");
  });
});
