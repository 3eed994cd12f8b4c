import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { deliverOnce } from "../../src/federation/sender/transaction-worker.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { makeRoom } from "../rooms/helpers.ts";
import { call, enc } from "../sync/helpers.ts";
import { FakeFederationClient, joinRemoteUser, manualDriver, sendText } from "./sender-support.ts";

/* Typing, receipts and presence of local users reach the servers that share a room with them. */
describe("federation sender: EDUs from client activity", () => {
  let hs: TestHomeserver;
  let alice: Session;
  let roomId: string;
  let lonely: string;
  const client = new FakeFederationClient();
  const manual = manualDriver();

  beforeAll(async () => {
    hs = await startTestHomeserver({}, { senderClient: client, sender: { driver: manual.driver } });
    alice = await createTestUser(hs, "alice");
    roomId = (await makeRoom(hs.ctx, alice.userId, { preset: "public_chat" })).roomId;
    await joinRemoteUser(hs.ctx, roomId, "@bob:b.test");
    lonely = (await makeRoom(hs.ctx, alice.userId)).roomId;
  });
  afterAll(async () => {
    await hs?.destroy();
  });

  /** Sends everything queued for the destination and returns the EDUs that went out. */
  async function flush(destination: string): Promise<JsonObject[]> {
    const before = client.deliveredEdus(destination).length;
    while ((await deliverOnce(manual.deps(), destination, true)).kind === "sent");
    return client.deliveredEdus(destination).slice(before);
  }

  it("sends typing to servers in the room, and nothing for a room without remote members", async () => {
    const typing = (room: string, on: boolean) =>
      call(hs, alice, "PUT", `/rooms/${enc(room)}/typing/${enc(alice.userId)}`, {
        typing: on,
        timeout: 10_000,
      });
    expect((await typing(roomId, true)).status).toBe(200);
    expect((await typing(lonely, true)).status).toBe(200);
    expect(await flush("b.test")).toEqual([
      { edu_type: "m.typing", content: { room_id: roomId, user_id: alice.userId, typing: true } },
    ]);
    expect((await typing(roomId, false)).status).toBe(200);
    expect(await flush("b.test")).toEqual([
      { edu_type: "m.typing", content: { room_id: roomId, user_id: alice.userId, typing: false } },
    ]);
  });

  it("sends public read receipts in the federation shape, never private ones", async () => {
    const first = await sendText(hs.ctx, roomId, alice.userId, "read me");
    await flush("b.test");
    const receipt = (type: string, eventId: string, body: object = {}) =>
      call(hs, alice, "POST", `/rooms/${enc(roomId)}/receipt/${enc(type)}/${enc(eventId)}`, body);
    expect((await receipt("m.read.private", first)).status).toBe(200);
    expect(await flush("b.test")).toEqual([]);
    expect((await receipt("m.read", first, { thread_id: "main" })).status).toBe(200);
    const edus = await flush("b.test");
    expect(edus).toHaveLength(1);
    expect(edus[0]!.edu_type).toBe("m.receipt");
    const content = edus[0]!.content as Record<string, Record<string, Record<string, unknown>>>;
    const mine = content[roomId]!["m.read"]![alice.userId] as {
      event_ids: string[];
      data: { ts: number; thread_id: string };
    };
    expect(mine.event_ids).toEqual([first]);
    expect(mine.data.thread_id).toBe("main");
    expect(typeof mine.data.ts).toBe("number");
    // The same receipt again changes nothing and sends nothing.
    expect((await receipt("m.read", first, { thread_id: "main" })).status).toBe(200);
    expect(await flush("b.test")).toEqual([]);
  });

  it("sends presence changes to servers sharing a room", async () => {
    const res = await call(hs, alice, "PUT", `/presence/${enc(alice.userId)}/status`, {
      presence: "unavailable",
      status_msg: "lunch",
    });
    expect(res.status).toBe(200);
    const edus = await flush("b.test");
    expect(edus).toHaveLength(1);
    expect(edus[0]).toMatchObject({
      edu_type: "m.presence",
      content: { push: [{ user_id: alice.userId, presence: "unavailable", status_msg: "lunch" }] },
    });
  });
});
