/**
 * The end-to-end encryption proof across two federated Hearths: matrix-js-sdk 37 clients with the Rust
 * crypto, Alice on hs1 and Bob on hs2, each talking to their own server over HTTP while the servers
 * federate over the in-process network. Each message only counts once the other side's client has
 * decrypted it, which needs the federated E2EE pieces: remote keys/query (user/devices), remote
 * keys/claim (user/keys/claim), to-device messages as m.direct_to_device, and device list updates as
 * EDUs. A second device of Alice's, added after the first messages, reads them through key backup and
 * then receives Bob's next message directly (Bob's server learns of it by an m.device_list_update).
 */
import { KnownMembership, Preset, type MatrixClient } from "matrix-js-sdk";
import { CryptoEvent } from "matrix-js-sdk/lib/crypto-api/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { until } from "../support/js-sdk.ts";
import { cryptoClient, decrypts } from "../support/rust-crypto.ts";
import { createTestUser } from "../support/users.ts";

let fed: TestFederation;
let hs1: Homeserver;
let hs2: Homeserver;
const urls = new Map<Homeserver, string>();
const clients: MatrixClient[] = [];

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test"]);
  [hs1, hs2] = fed.servers as [Homeserver, Homeserver];
  for (const hs of [hs1, hs2]) {
    const [listener] = await hs.listen();
    if (!listener) throw new Error("no listener");
    urls.set(hs, listener.url.replace(/\/$/, ""));
  }
});
afterAll(async () => {
  for (const c of clients) c.stopClient();
  await fed?.destroy();
});

const clientOn = (hs: Homeserver, session: { userId: string; deviceId: string; accessToken: string }) =>
  cryptoClient(urls.get(hs)!, session, clients);

describe("end-to-end encryption across two servers with matrix-js-sdk's Rust crypto", () => {
  it("users on two servers exchange megolm messages; a device added later reads them via key backup", async () => {
    const aliceSession = await createTestUser(hs1, "alice", { deviceId: "ALICE1" });
    const bobSession = await createTestUser(hs2, "bob", { deviceId: "BOB1" });
    const alice = await clientOn(hs1, aliceSession);
    const bob = await clientOn(hs2, bobSession);

    const aliceCrypto = alice.getCrypto()!;
    await aliceCrypto.resetKeyBackup();
    const check = await aliceCrypto.checkKeyBackupAndEnable();
    expect(check?.trustInfo.trusted).toBe(true);
    const backupVersion = check?.backupInfo.version;

    const { room_id: roomId } = await alice.createRoom({
      preset: Preset.PrivateChat,
      invite: [bob.getUserId()!],
      initial_state: [
        { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
      ],
    });
    await until(bob, "the invite", () => bob.getRoom(roomId)?.getMyMembership() === KnownMembership.Invite);
    await bob.joinRoom(roomId, { viaServers: ["hs1.test"] });
    await until(
      alice,
      "bob to join",
      () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === KnownMembership.Join,
    );
    await until(bob, "the room to be encrypted", () => bob.getRoom(roomId)?.hasEncryptionStateEvent());

    const first = await alice.sendTextMessage(roomId, "hello bob on hs2, this is secret");
    const seenByBob = await decrypts(bob, roomId, first.event_id, "hello bob on hs2, this is secret");
    expect(seenByBob.isEncrypted()).toBe(true);
    expect(seenByBob.getSender()).toBe(alice.getUserId());

    const reply = await bob.sendTextMessage(roomId, "hi alice on hs1, got it");
    const seenByAlice = await decrypts(alice, roomId, reply.event_id, "hi alice on hs1, got it");
    expect(seenByAlice.isEncrypted()).toBe(true);

    // Neither server saw plaintext; hs2 holds alice's message as the ciphertext hs1 sent.
    for (const [hs, eventId] of [
      [hs2, first.event_id],
      [hs1, reply.event_id],
    ] as const) {
      const stored = await hs.ctx.db
        .selectFrom("events")
        .select("pdu")
        .where("event_id", "=", eventId)
        .executeTakeFirstOrThrow();
      expect(stored.pdu).not.toContain("secret");
      expect(stored.pdu).not.toContain("got it");
      expect(JSON.parse(stored.pdu)).toMatchObject({ type: "m.room.encrypted" });
    }

    // Alice's client backs up both sessions (hers and Bob's, received over federation).
    const backupCount = async (): Promise<number> =>
      (
        await fetch(`${urls.get(hs1)}/_matrix/client/v3/room_keys/version`, {
          headers: { authorization: `Bearer ${aliceSession.accessToken}` },
        }).then((r) => r.json() as Promise<{ count: number }>)
      ).count;
    for (;;) {
      const remaining = new Promise((resolve) => alice.once(CryptoEvent.KeyBackupSessionsRemaining, resolve));
      if ((await backupCount()) >= 2) break;
      await remaining;
    }

    const later = await startSession(hs1.ctx, aliceSession.userId, { deviceId: "ALICE2" });
    const alice2 = await clientOn(hs1, later);
    const privateKey = await aliceCrypto.getSessionBackupPrivateKey();
    expect(privateKey).not.toBeNull();
    await alice2.getCrypto()!.storeSessionBackupPrivateKey(privateKey!, backupVersion!);
    const restored = await alice2.getCrypto()!.restoreKeyBackup();
    expect(restored.imported).toBeGreaterThanOrEqual(2);
    await decrypts(alice2, roomId, first.event_id, "hello bob on hs2, this is secret");
    await decrypts(alice2, roomId, reply.event_id, "hi alice on hs1, got it");

    // Bob's server hears of ALICE2 through an m.device_list_update; his next message reaches it.
    for (;;) {
      const updated = new Promise((resolve) => bob.once(CryptoEvent.DevicesUpdated, resolve));
      const devices = await bob.getCrypto()!.getUserDeviceInfo([alice.getUserId()!], true);
      if (devices.get(alice.getUserId()!)?.has("ALICE2")) break;
      await updated;
    }
    const third = await bob.sendTextMessage(roomId, "welcome, new device on hs1");
    await decrypts(alice2, roomId, third.event_id, "welcome, new device on hs1");
    await decrypts(alice, roomId, third.event_id, "welcome, new device on hs1");
  }, 120_000);
});
