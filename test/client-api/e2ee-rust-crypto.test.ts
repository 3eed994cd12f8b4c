/**
 * The proof with a real client's crypto: matrix-js-sdk 37 clients running the Rust crypto (WASM, with
 * its in-memory store) chat in an encrypted room on one Hearth. Each message only counts once the
 * other side's client has decrypted it, which needs every E2EE piece of the server: keys/upload,
 * keys/query, keys/claim, sendToDevice with to-device delivery in /sync, device_lists tracking and
 * one-time key counts. A third device of the sender, added afterwards, reads the earlier messages
 * through server-side key backup (room_keys).
 */
import { KnownMembership, Preset, type MatrixClient } from "matrix-js-sdk";
import { CryptoEvent } from "matrix-js-sdk/lib/crypto-api/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { until } from "../support/js-sdk.ts";
import { cryptoClient as newCryptoClient, decrypts } from "../support/rust-crypto.ts";
import { createTestUser } from "../support/users.ts";

let hs: TestHomeserver;
let baseUrl: string;
const clients: MatrixClient[] = [];

beforeAll(async () => {
  hs = await startTestHomeserver();
  const [listener] = await hs.listen();
  if (!listener) throw new Error("no listener");
  baseUrl = listener.url.replace(/\/$/, "");
});
afterAll(async () => {
  for (const c of clients) c.stopClient();
  await hs?.destroy();
});

const cryptoClient = (session: { userId: string; deviceId: string; accessToken: string }) =>
  newCryptoClient(baseUrl, session, clients);

describe("end-to-end encryption with matrix-js-sdk's Rust crypto", () => {
  it("two users exchange megolm messages; a device added later reads them through key backup", async () => {
    const aliceSession = await createTestUser(hs, "alice", { deviceId: "ALICE1" });
    const bobSession = await createTestUser(hs, "bob", { deviceId: "BOB1" });
    const alice = await cryptoClient(aliceSession);
    const bob = await cryptoClient(bobSession);

    // Alice backs her room keys up before any exist, so every session she makes or receives goes there.
    const aliceCrypto = alice.getCrypto()!;
    await aliceCrypto.resetKeyBackup();
    const check = await aliceCrypto.checkKeyBackupAndEnable();
    expect(check?.trustInfo.trusted).toBe(true);
    const backupInfo = check?.backupInfo.version;
    expect(backupInfo).toBe("1");

    const { room_id: roomId } = await alice.createRoom({
      preset: Preset.PrivateChat,
      invite: [bob.getUserId()!],
      initial_state: [
        { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
      ],
    });
    await until(bob, "the invite", () => bob.getRoom(roomId)?.getMyMembership() === KnownMembership.Invite);
    await bob.joinRoom(roomId);
    await until(
      alice,
      "bob to join",
      () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === KnownMembership.Join,
    );
    await until(bob, "the room to be encrypted", () => bob.getRoom(roomId)?.hasEncryptionStateEvent());

    const first = await alice.sendTextMessage(roomId, "hello bob, this is secret");
    const seenByBob = await decrypts(bob, roomId, first.event_id, "hello bob, this is secret");
    expect(seenByBob.isEncrypted()).toBe(true);
    expect(seenByBob.getWireType()).toBe("m.room.encrypted");
    expect(seenByBob.getSender()).toBe(alice.getUserId());

    const reply = await bob.sendTextMessage(roomId, "hi alice, got it");
    const seenByAlice = await decrypts(alice, roomId, reply.event_id, "hi alice, got it");
    expect(seenByAlice.isEncrypted()).toBe(true);

    // The server only ever saw ciphertext.
    const stored = await hs.ctx.db
      .selectFrom("events")
      .select("pdu")
      .where("event_id", "=", first.event_id)
      .executeTakeFirstOrThrow();
    expect(stored.pdu).not.toContain("secret");
    expect(JSON.parse(stored.pdu)).toMatchObject({
      type: "m.room.encrypted",
      content: { algorithm: "m.megolm.v1.aes-sha2" },
    });

    // Wait for Alice's client to have backed up both sessions (hers and Bob's) to the server.
    const backupCount = async (): Promise<number> =>
      (
        await fetch(`${baseUrl}/_matrix/client/v3/room_keys/version`, {
          headers: { authorization: `Bearer ${aliceSession.accessToken}` },
        }).then((r) => r.json() as Promise<{ count: number }>)
      ).count;
    for (;;) {
      const remaining = new Promise((resolve) => alice.once(CryptoEvent.KeyBackupSessionsRemaining, resolve));
      if ((await backupCount()) >= 2) break;
      await remaining;
    }

    // A new device of Alice's, logged in after the messages, restores the backup and decrypts history.
    const later = await startSession(hs.ctx, aliceSession.userId, { deviceId: "ALICE2" });
    const alice2 = await cryptoClient(later);
    const privateKey = await aliceCrypto.getSessionBackupPrivateKey();
    expect(privateKey).not.toBeNull();
    await alice2.getCrypto()!.storeSessionBackupPrivateKey(privateKey!, backupInfo!);
    const restored = await alice2.getCrypto()!.restoreKeyBackup();
    expect(restored.imported).toBeGreaterThanOrEqual(2);
    await decrypts(alice2, roomId, first.event_id, "hello bob, this is secret");
    await decrypts(alice2, roomId, reply.event_id, "hi alice, got it");

    // And the new device takes part from now on: Bob's next message reaches it directly.
    // Bob learns of the new device through device_lists.changed in his /sync.
    for (;;) {
      const updated = new Promise((resolve) => bob.once(CryptoEvent.DevicesUpdated, resolve));
      const devices = await bob.getCrypto()!.getUserDeviceInfo([alice.getUserId()!], true);
      if (devices.get(alice.getUserId()!)?.has("ALICE2")) break;
      await updated;
    }
    const third = await bob.sendTextMessage(roomId, "welcome, new device");
    await decrypts(alice2, roomId, third.event_id, "welcome, new device");
    await decrypts(alice, roomId, third.event_id, "welcome, new device");
  }, 90_000);
});
