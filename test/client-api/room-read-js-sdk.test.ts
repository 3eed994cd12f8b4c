import {
  createClient,
  Direction,
  FeatureSupport,
  MatrixError,
  Thread,
  Visibility,
  type MatrixClient,
} from "matrix-js-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { startReadTestHomeserver } from "./room-driver.ts";

let hs: TestHomeserver;
let alice: MatrixClient;
let bob: MatrixClient;

beforeAll(async () => {
  hs = await startReadTestHomeserver();
  const [listener] = await hs.listen();
  if (!listener) throw new Error("no listener");
  const baseUrl = listener.url.replace(/\/$/, "");
  const client = async (name: string): Promise<MatrixClient> => {
    const s = await createTestUser(hs, name);
    return createClient({ baseUrl, accessToken: s.accessToken, userId: s.userId, deviceId: s.deviceId });
  };
  alice = await client("alice");
  bob = await client("bob");
});
afterAll(async () => {
  alice?.stopClient();
  bob?.stopClient();
  await hs?.destroy();
});

describe("matrix-js-sdk 37 against the read endpoints", () => {
  let roomId: string;
  const sent: string[] = [];

  it("pages /messages both ways and fetches single events", async () => {
    ({ room_id: roomId } = await alice.createRoom({ preset: "public_chat" as never, name: "sdk" }));
    for (let i = 0; i < 12; i++) {
      sent.push((await alice.sendTextMessage(roomId, `n${i}`)).event_id);
    }
    const page = await alice.createMessagesRequest(roomId, null, 5, Direction.Backward);
    expect(page.chunk.map((e) => e.event_id)).toEqual([...sent].reverse().slice(0, 5));
    const next = await alice.createMessagesRequest(roomId, page.end ?? null, 5, Direction.Backward);
    expect(next.chunk.map((e) => e.event_id)).toEqual([...sent].reverse().slice(5, 10));
    const ev = await alice.fetchRoomEvent(roomId, sent[3]!);
    expect(ev.content?.body).toBe("n3");
    const err = await alice.fetchRoomEvent(roomId, "$nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).errcode).toBe("M_NOT_FOUND");
  });

  it("reads relations and thread lists", async () => {
    const reply = await alice.sendMessage(roomId, {
      msgtype: "m.text",
      body: "in thread",
      "m.relates_to": { rel_type: "m.thread", event_id: sent[0]! },
    } as never);
    const relations = await alice.fetchRelations(roomId, sent[0]!, "m.thread", null);
    expect(relations.chunk.map((e) => e.event_id)).toEqual([reply.event_id]);
    // startClient would learn this from /versions (v1.4); these tests do not sync.
    Thread.setServerSideListSupport(FeatureSupport.Stable);
    const threads = await alice.createThreadListMessagesRequest(roomId, null);
    expect(threads.chunk.map((e) => e.event_id)).toEqual([sent[0]]);
  });

  it("manages aliases and the room directory", async () => {
    await alice.createAlias("#sdk:hearth.test", roomId);
    expect((await bob.getRoomIdForAlias("#sdk:hearth.test")).room_id).toBe(roomId);
    expect((await alice.getLocalAliases(roomId)).aliases).toEqual(["#sdk:hearth.test"]);
    await alice.setRoomDirectoryVisibility(roomId, Visibility.Public);
    expect((await bob.getRoomDirectoryVisibility(roomId)).visibility).toBe("public");
    const listed = await bob.publicRooms({ limit: 10 });
    expect(listed.chunk.map((r) => r.room_id)).toContain(roomId);
    await alice.deleteAlias("#sdk:hearth.test");
  });

  it("sets and reads profiles and searches the user directory", async () => {
    await bob.setDisplayName("Bobby");
    expect((await alice.getProfileInfo(bob.getUserId()!)).displayname).toBe("Bobby");
    expect((await alice.getProfileInfo(bob.getUserId()!, "displayname")).displayname).toBe("Bobby");
    const found = await bob.searchUserDirectory({ term: "alice" });
    expect(found.results.map((r) => r.user_id)).toEqual([alice.getUserId()]);
  });
});
