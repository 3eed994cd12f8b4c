import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call } from "../sync/helpers.ts";
import { crossSigningKey, deviceKeys, newKey, signAs } from "./e2ee-support.ts";
import type { SigningKey } from "../../src/core/signing.ts";

let hs: TestHomeserver;
let n = 0;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());

type Json = Record<string, unknown>;
const PASSWORD = "cross-signing-pw";
const user = (name: string, deviceId?: string): Promise<Session> =>
  createTestUser(hs, `${name}${++n}`, { deviceId, password: PASSWORD });
const post = (s: Session, path: string, body: unknown) => call(hs, s, "POST", path, body);

interface Identity {
  master: SigningKey;
  selfSigning: SigningKey;
  userSigning: SigningKey;
  body: Json;
}

function identity(userId: string): Identity {
  const master = newKey();
  const selfSigning = newKey();
  const userSigning = newKey();
  return {
    master,
    selfSigning,
    userSigning,
    body: {
      master_key: crossSigningKey(userId, "master", master),
      self_signing_key: crossSigningKey(userId, "self_signing", selfSigning, master),
      user_signing_key: crossSigningKey(userId, "user_signing", userSigning, master),
    },
  };
}

async function query(s: Session, userIds: string[]): Promise<Json> {
  const res = await post(s, "/keys/query", { device_keys: Object.fromEntries(userIds.map((u) => [u, []])) });
  expect(res.status).toBe(200);
  return res.body;
}

describe("keys/device_signing/upload", () => {
  it("takes the first upload without auth, identical re-uploads too, and a replacement only with UIA", async () => {
    const alice = await user("alice");
    const first = identity(alice.userId);
    expect((await post(alice, "/keys/device_signing/upload", first.body)).status).toBe(200);
    expect((await post(alice, "/keys/device_signing/upload", first.body)).status).toBe(200);

    const second = identity(alice.userId);
    const challenge = await post(alice, "/keys/device_signing/upload", second.body);
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    let keys = await query(alice, [alice.userId]);
    expect((keys.master_keys as Json)[alice.userId]).toEqual(first.body.master_key);

    const done = await post(alice, "/keys/device_signing/upload", {
      ...second.body,
      auth: {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: alice.userId },
        password: PASSWORD,
        session: challenge.body.session,
      },
    });
    expect(done.status).toBe(200);
    keys = await query(alice, [alice.userId]);
    expect((keys.master_keys as Json)[alice.userId]).toEqual(second.body.master_key);
    expect((keys.self_signing_keys as Json)[alice.userId]).toEqual(second.body.self_signing_key);
    expect((keys.user_signing_keys as Json)[alice.userId]).toEqual(second.body.user_signing_key);
  });

  it("shows master and self-signing keys to others, but the user-signing key only to its owner", async () => {
    const alice = await user("alice");
    await post(alice, "/keys/device_signing/upload", identity(alice.userId).body);
    const bob = await user("bob");
    const seen = await query(bob, [alice.userId]);
    expect(seen.master_keys).toHaveProperty([alice.userId]);
    expect(seen.self_signing_keys).toHaveProperty([alice.userId]);
    expect(seen.user_signing_keys).toEqual({});
  });

  it("refuses malformed keys, keys of another user, and sub-keys not signed by the master key", async () => {
    const alice = await user("alice");
    const id = identity(alice.userId);
    const otherMaster = newKey();
    const cases: Json[] = [
      { master_key: crossSigningKey("@mallory:hearth.test", "master", id.master) },
      { master_key: crossSigningKey(alice.userId, "self_signing", id.master) },
      { master_key: { ...crossSigningKey(alice.userId, "master", id.master), keys: {} } },
      {
        master_key: { ...crossSigningKey(alice.userId, "master", id.master), keys: { "ed25519:abc": "xyz" } },
      },
      { master_key: "key" },
      // No master key at all yet.
      { self_signing_key: id.body.self_signing_key },
      {
        master_key: id.body.master_key,
        self_signing_key: crossSigningKey(alice.userId, "self_signing", id.selfSigning, otherMaster),
      },
      {
        master_key: id.body.master_key,
        user_signing_key: crossSigningKey(alice.userId, "user_signing", id.userSigning),
      },
    ];
    for (const body of cases) {
      const res = await post(alice, "/keys/device_signing/upload", body);
      expect({ status: res.status, errcode: res.body.errcode }, JSON.stringify(body)).toEqual({
        status: 400,
        errcode: "M_INVALID_PARAM",
      });
    }
    expect((await query(alice, [alice.userId])).master_keys).toEqual({});
  });
});

describe("keys/signatures/upload", () => {
  it("merges verified signatures into device and master keys; others' signatures only shown to the signer", async () => {
    const alice = await user("alice", "ADEV");
    const deviceKey = newKey();
    const device = deviceKeys(alice.userId, "ADEV", deviceKey);
    await post(alice, "/keys/upload", { device_keys: device });
    const id = identity(alice.userId);
    await post(alice, "/keys/device_signing/upload", id.body);

    // The self-signing key signs the device; the device signs the master key.
    const signedDevice = signAs(device, alice.userId, `ed25519:${id.selfSigning.publicKey}`, id.selfSigning);
    const signedMaster = signAs(id.body.master_key as never, alice.userId, "ed25519:ADEV", deviceKey);
    const res = await post(alice, "/keys/signatures/upload", {
      [alice.userId]: { ADEV: signedDevice, [id.master.publicKey]: signedMaster },
    });
    expect(res.status).toBe(200);
    expect(res.body.failures).toEqual({});

    const bob = await user("bob");
    const seen = await query(bob, [alice.userId]);
    const deviceSigs = (((seen.device_keys as Json)[alice.userId] as Json).ADEV as Json).signatures as Json;
    expect(Object.keys(deviceSigs[alice.userId] as Json).sort()).toEqual(
      ["ed25519:ADEV", `ed25519:${id.selfSigning.publicKey}`].sort(),
    );
    const masterSigs = ((seen.master_keys as Json)[alice.userId] as Json).signatures as Json;
    expect(masterSigs[alice.userId]).toHaveProperty(["ed25519:ADEV"]);

    // Bob signs Alice's master key with his user-signing key: only Bob sees that signature.
    const bobId = identity(bob.userId);
    await post(bob, "/keys/device_signing/upload", bobId.body);
    const aliceMaster = (seen.master_keys as Json)[alice.userId] as never;
    const bobSigned = signAs(
      aliceMaster,
      bob.userId,
      `ed25519:${bobId.userSigning.publicKey}`,
      bobId.userSigning,
    );
    const bobRes = await post(bob, "/keys/signatures/upload", {
      [alice.userId]: { [id.master.publicKey]: bobSigned },
    });
    expect(bobRes.body.failures).toEqual({});
    const bobView = ((await query(bob, [alice.userId])).master_keys as Json)[alice.userId] as Json;
    expect(bobView.signatures).toHaveProperty([bob.userId]);
    const aliceView = ((await query(alice, [alice.userId])).master_keys as Json)[alice.userId] as Json;
    expect(aliceView.signatures).not.toHaveProperty([bob.userId]);
  });

  it("reports bad signatures, unknown keys and altered objects per key, storing nothing for them", async () => {
    const alice = await user("alice", "ADEV");
    const deviceKey = newKey();
    const device = deviceKeys(alice.userId, "ADEV", deviceKey);
    await post(alice, "/keys/upload", { device_keys: device });
    const id = identity(alice.userId);
    await post(alice, "/keys/device_signing/upload", id.body);
    const res = await post(alice, "/keys/signatures/upload", {
      [alice.userId]: {
        // Signed by a key that is not the self-signing key.
        ADEV: signAs(device, alice.userId, `ed25519:${id.selfSigning.publicKey}`, newKey()),
        NOSUCHDEVICE: signAs(device, alice.userId, `ed25519:${id.selfSigning.publicKey}`, id.selfSigning),
        [id.master.publicKey]: "not an object",
      },
      "@someone:hearth.test": { X: { signatures: {} } },
    });
    expect(res.status).toBe(200);
    const failures = res.body.failures as Record<string, Record<string, Json>>;
    expect(failures[alice.userId]?.ADEV?.errcode).toBe("M_INVALID_SIGNATURE");
    expect(failures[alice.userId]?.NOSUCHDEVICE?.errcode).toBe("M_NOT_FOUND");
    expect(failures[alice.userId]?.[id.master.publicKey]?.errcode).toBe("M_BAD_JSON");
    expect(failures["@someone:hearth.test"]?.X?.errcode).toBe("M_NOT_FOUND");
    // An altered device object is refused even with a valid signature over the altered form.
    const altered = signAs(
      { ...device, algorithms: ["evil"] },
      alice.userId,
      `ed25519:${id.selfSigning.publicKey}`,
      id.selfSigning,
    );
    const alteredRes = await post(alice, "/keys/signatures/upload", { [alice.userId]: { ADEV: altered } });
    expect(
      (alteredRes.body.failures as Record<string, Record<string, Json>>)[alice.userId]?.ADEV?.errcode,
    ).toBe("M_INVALID_SIGNATURE");
    const seen = await query(alice, [alice.userId]);
    const sigs = (((seen.device_keys as Json)[alice.userId] as Json).ADEV as Json).signatures as Json;
    expect(Object.keys(sigs[alice.userId] as Json)).toEqual(["ed25519:ADEV"]);
    expect((await post(alice, "/keys/signatures/upload", { notauser: {} })).status).toBe(400);
  });
});
