import {
  ClientEvent,
  createClient,
  EventType,
  type MatrixClient,
  type MatrixEvent,
  Preset,
  RoomEvent,
  RoomMemberEvent,
  SyncState,
} from "matrix-js-sdk";
import type { Logger } from "matrix-js-sdk/lib/logger.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestHomeserver } from "../support/homeserver.ts";
import { startTestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";

/** The SDK logs every request; tests read assertions, not logs. */
const quiet: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  getChild: () => quiet,
};

let hs: TestHomeserver;
let alice: MatrixClient;
let bob: MatrixClient;

/** Resolves with the first emission of `event` for which `test` holds. */
function next<T extends unknown[]>(
  client: MatrixClient,
  event: string,
  test: (...args: T) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (...args: T): void => {
      if (!test(...args)) return;
      client.off(event as ClientEvent, listener as never);
      resolve(args);
    };
    client.on(event as ClientEvent, listener as never);
  });
}

async function started(
  client: MatrixClient,
  opts: Parameters<MatrixClient["startClient"]>[0],
): Promise<void> {
  const prepared = next<[SyncState]>(client, ClientEvent.Sync, (state) => state === SyncState.Prepared);
  await client.startClient(opts);
  await prepared;
}

beforeAll(async () => {
  hs = await startTestHomeserver();
  const [listener] = await hs.listen();
  if (!listener) throw new Error("no listener");
  const baseUrl = listener.url.replace(/\/$/, "");
  const client = async (name: string) => {
    const s = await createTestUser(hs, name, { isAdmin: true });
    return createClient({
      baseUrl,
      accessToken: s.accessToken,
      userId: s.userId,
      deviceId: s.deviceId,
      logger: quiet,
    });
  };
  alice = await client("alice");
  bob = await client("bob");
});
afterAll(async () => {
  alice?.stopClient();
  bob?.stopClient();
  await hs?.destroy();
});

describe("sync through matrix-js-sdk 37", () => {
  it("syncs rooms, messages, typing, receipts, tags and account data with lazy-loaded members", async () => {
    const { room_id: roomId } = await alice.createRoom({ name: "Synced", preset: Preset.PublicChat });
    await bob.joinRoom(roomId);
    await alice.sendTextMessage(roomId, "before the clients start");

    await started(alice, { initialSyncLimit: 5, lazyLoadMembers: true });
    await started(bob, { initialSyncLimit: 5, lazyLoadMembers: true });
    const room = alice.getRoom(roomId);
    expect(room?.name).toBe("Synced");
    expect(room?.getJoinedMemberCount()).toBe(2);
    expect(
      room
        ?.getLiveTimeline()
        .getEvents()
        .map((e) => e.getContent().body),
    ).toContain("before the clients start");

    // A message from bob reaches alice's running long-poll, and bob's own echo matches his local one.
    const arrived = next<[MatrixEvent]>(alice, RoomEvent.Timeline, (ev) => ev.getContent().body === "live");
    const { event_id: sent } = await bob.sendTextMessage(roomId, "live");
    const [ev] = await arrived;
    expect(ev.getId()).toBe(sent);
    expect(ev.getSender()).toBe(bob.getUserId());

    const typing = next<[MatrixEvent, { userId: string; typing: boolean }]>(
      alice,
      RoomMemberEvent.Typing,
      (_ev, member) => member.userId === bob.getUserId() && member.typing,
    );
    await bob.sendTyping(roomId, true, 10_000);
    await typing;

    const receipt = next<[MatrixEvent]>(alice, RoomEvent.Receipt, (ev) =>
      Object.keys(ev.getContent()).includes(sent),
    );
    await bob.sendReadReceipt(ev);
    await receipt;

    const tagged = next<[MatrixEvent]>(
      alice,
      RoomEvent.Tags,
      (ev) => "u.work" in (ev.getContent().tags ?? {}),
    );
    await alice.setRoomTag(roomId, "u.work", { order: 0.5 });
    await tagged;

    const data = next<[MatrixEvent]>(
      alice,
      ClientEvent.AccountData,
      (ev) => ev.getType() === EventType.Direct,
    );
    await alice.setAccountData(EventType.Direct, { [bob.getUserId() as string]: [roomId] });
    await data;
    expect(alice.getAccountData(EventType.Direct)?.getContent()).toEqual({
      [bob.getUserId() as string]: [roomId],
    });
  });
});
