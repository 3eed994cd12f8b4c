import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession, type Session } from "../../src/accounts/session.ts";
import { deleteDevices } from "../../src/storage/accounts/devices.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call } from "../sync/helpers.ts";
import { deviceKeys, newKey, oneTimeKey, signAs } from "./e2ee-support.ts";

let hs: TestHomeserver;
let n = 0;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());

const user = (name: string, deviceId?: string): Promise<Session> =>
  createTestUser(hs, `${name}${++n}`, { deviceId });
const post = (s: Session, path: string, body: unknown) => call(hs, s, "POST", path, body);
type Json = Record<string, unknown>;

describe("keys/upload", () => {
  it("stores device keys and one-time keys, and counts them per algorithm", async () => {
    const alice = await user("alice", "ADEV");
    const key = newKey();
    const res = await post(alice, "/keys/upload", {
      device_keys: deviceKeys(alice.userId, "ADEV", key),
      one_time_keys: {
        "signed_curve25519:AAAAAQ": oneTimeKey(alice.userId, "ADEV", key),
        "signed_curve25519:AAAAAg": oneTimeKey(alice.userId, "ADEV", key),
        "curve25519:AAAAAw": newKey().publicKey,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.one_time_key_counts).toEqual({ signed_curve25519: 2, curve25519: 1 });
    // An empty upload just reports the counts.
    expect((await post(alice, "/keys/upload", {})).body.one_time_key_counts).toEqual({
      signed_curve25519: 2,
      curve25519: 1,
    });
  });

  it("accepts the same device keys again but refuses different ones", async () => {
    const alice = await user("alice", "ADEV");
    const key = newKey();
    const keys = deviceKeys(alice.userId, "ADEV", key);
    expect((await post(alice, "/keys/upload", { device_keys: keys })).status).toBe(200);
    expect((await post(alice, "/keys/upload", { device_keys: keys })).status).toBe(200);
    const other = await post(alice, "/keys/upload", {
      device_keys: deviceKeys(alice.userId, "ADEV", newKey()),
    });
    expect(other.status).toBe(400);
    expect(other.body.errcode).toBe("M_INVALID_PARAM");
  });

  it("refuses device keys for another user or device, unsigned or malformed ones", async () => {
    const alice = await user("alice", "ADEV");
    const key = newKey();
    const cases: [unknown, string][] = [
      [deviceKeys("@mallory:hearth.test", "ADEV", key), "M_INVALID_PARAM"],
      [deviceKeys(alice.userId, "OTHER", key), "M_INVALID_PARAM"],
      [{ ...deviceKeys(alice.userId, "ADEV", key), signatures: {} }, "M_INVALID_PARAM"],
      [{ ...deviceKeys(alice.userId, "ADEV", key), algorithms: "megolm" }, "M_INVALID_PARAM"],
      [{ ...deviceKeys(alice.userId, "ADEV", key), keys: { nocolon: "x" } }, "M_INVALID_PARAM"],
      [
        { ...deviceKeys(alice.userId, "ADEV", key), signatures: { [alice.userId]: { "ed25519:ADEV": 5 } } },
        "M_INVALID_PARAM",
      ],
      ["not an object", "M_BAD_JSON"],
    ];
    for (const [device_keys, errcode] of cases) {
      const res = await post(alice, "/keys/upload", { device_keys });
      expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 400, errcode });
    }
    // A forged self-signature: signed by some other key.
    const forged = signAs(
      { ...deviceKeys(alice.userId, "ADEV", key), signatures: {} },
      alice.userId,
      "ed25519:ADEV",
      newKey(),
    );
    expect((await post(alice, "/keys/upload", { device_keys: forged })).status).toBe(400);
    expect(
      (await call(hs, alice, "POST", "/keys/query", { device_keys: { [alice.userId]: [] } })).body
        .device_keys,
    ).toEqual({
      [alice.userId]: {},
    });
  });

  it("refuses a one-time key id reused with other content, keeping nothing of that upload", async () => {
    const alice = await user("alice", "ADEV");
    const key = newKey();
    const first = oneTimeKey(alice.userId, "ADEV", key);
    await post(alice, "/keys/upload", { one_time_keys: { "signed_curve25519:K1": first } });
    const res = await post(alice, "/keys/upload", {
      one_time_keys: {
        "signed_curve25519:K2": oneTimeKey(alice.userId, "ADEV", key),
        "signed_curve25519:K1": oneTimeKey(alice.userId, "ADEV", key),
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_INVALID_PARAM");
    // Re-sending the identical key is fine (a retried request).
    const again = await post(alice, "/keys/upload", { one_time_keys: { "signed_curve25519:K1": first } });
    expect(again.body.one_time_key_counts).toEqual({ signed_curve25519: 1 });
  });

  it("refuses malformed one-time and fallback keys", async () => {
    const alice = await user("alice", "ADEV");
    for (const body of [
      { one_time_keys: { nocolon: "x" } },
      { one_time_keys: { "signed_curve25519:A": 7 } },
      { one_time_keys: { "signed_curve25519:A": { key: 1 } } },
      { one_time_keys: [] },
      { fallback_keys: { "signed_curve25519:A": { key: "k", signatures: "no" } } },
    ]) {
      const res = await post(alice, "/keys/upload", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
    }
    const nul = await post(alice, "/keys/upload", { one_time_keys: { "signed_curve25519:\u0000": "x" } });
    expect(nul.status).toBe(400);
  });
});

describe("keys/query", () => {
  it("returns device keys with the display name, only for the devices asked, and empty maps for unknown users", async () => {
    const bob = await user("bob", "BDEV1");
    const key = newKey();
    await post(bob, "/keys/upload", { device_keys: deviceKeys(bob.userId, "BDEV1", key) });
    await call(hs, bob, "PUT", "/devices/BDEV1", { display_name: "Bob's phone" });
    const alice = await user("alice");
    const res = await post(alice, "/keys/query", {
      device_keys: { [bob.userId]: [], "@nobody:hearth.test": [], "@x:elsewhere.example": [] },
    });
    expect(res.status).toBe(200);
    const bobs = (res.body.device_keys as Json)[bob.userId] as Json;
    expect(Object.keys(bobs)).toEqual(["BDEV1"]);
    expect(bobs.BDEV1).toMatchObject({
      user_id: bob.userId,
      device_id: "BDEV1",
      keys: { "ed25519:BDEV1": key.publicKey },
      unsigned: { device_display_name: "Bob's phone" },
    });
    expect((res.body.device_keys as Json)["@nobody:hearth.test"]).toEqual({});
    expect(res.body.failures).toHaveProperty(["elsewhere.example"]);
    const some = await post(alice, "/keys/query", { device_keys: { [bob.userId]: ["NOPE"] } });
    expect((some.body.device_keys as Json)[bob.userId]).toEqual({});
  });

  it("refuses malformed requests", async () => {
    const alice = await user("alice");
    for (const [body, errcode] of [
      [{}, "M_BAD_JSON"],
      [{ device_keys: [] }, "M_BAD_JSON"],
      [{ device_keys: { "not-a-user": [] } }, "M_INVALID_PARAM"],
      [{ device_keys: { "@a:hearth.test": "DEV" } }, "M_BAD_JSON"],
      [{ device_keys: { "@a:hearth.test": [1] } }, "M_BAD_JSON"],
    ] as const) {
      const res = await post(alice, "/keys/query", body);
      expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 400, errcode });
    }
  });
});

describe("keys/claim", () => {
  it("hands out one-time keys oldest first, once each, then the fallback key (marked used, not deleted)", async () => {
    const bob = await user("bob", "BDEV");
    const key = newKey();
    const otks = ["K1", "K2", "K3"].map(
      (id) => [`signed_curve25519:${id}`, oneTimeKey(bob.userId, "BDEV", key)] as const,
    );
    // Uploaded in two requests: the first request's keys go first.
    await post(bob, "/keys/upload", { one_time_keys: Object.fromEntries(otks.slice(0, 2).reverse()) });
    await post(bob, "/keys/upload", {
      one_time_keys: Object.fromEntries(otks.slice(2)),
      fallback_keys: { "signed_curve25519:FB": oneTimeKey(bob.userId, "BDEV", key, true) },
    });
    const before = await call(hs, bob, "GET", "/sync");
    expect(before.body.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    expect(before.body.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);
    const alice = await user("alice");
    const claimed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(alice, "/keys/claim", {
        one_time_keys: { [bob.userId]: { BDEV: "signed_curve25519" } },
      });
      expect(res.status).toBe(200);
      const keys = ((res.body.one_time_keys as Json)[bob.userId] as Json).BDEV as Json;
      claimed.push(...Object.keys(keys));
    }
    expect(claimed).toEqual([
      "signed_curve25519:K2",
      "signed_curve25519:K1",
      "signed_curve25519:K3",
      "signed_curve25519:FB",
      "signed_curve25519:FB",
    ]);
    const sync = await call(hs, bob, "GET", "/sync");
    expect(sync.body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(sync.body.device_unused_fallback_key_types).toEqual([]);
    // A new fallback key is unused again.
    await post(bob, "/keys/upload", {
      fallback_keys: { "signed_curve25519:FB2": oneTimeKey(bob.userId, "BDEV", key, true) },
    });
    expect((await call(hs, bob, "GET", "/sync")).body.device_unused_fallback_key_types).toEqual([
      "signed_curve25519",
    ]);
  });

  it("a device id deleted and logged into again starts with no keys in /sync", async () => {
    const bob = await user("bob", "BDEV");
    const key = newKey();
    await post(bob, "/keys/upload", {
      one_time_keys: { "signed_curve25519:K1": oneTimeKey(bob.userId, "BDEV", key) },
      fallback_keys: { "signed_curve25519:FB": oneTimeKey(bob.userId, "BDEV", key, true) },
    });
    expect((await call(hs, bob, "GET", "/sync")).body.device_one_time_keys_count).toEqual({
      signed_curve25519: 1,
    });
    await deleteDevices(hs.ctx.db, bob.userId, ["BDEV"]);
    const again = await startSession(hs.ctx, bob.userId, { deviceId: "BDEV" });
    const sync = await call(hs, again, "GET", "/sync");
    expect(sync.body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(sync.body.device_unused_fallback_key_types).toEqual([]);
  });

  it("concurrent claims never hand out the same key", async () => {
    const bob = await user("bob", "BDEV");
    const key = newKey();
    const keys = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`signed_curve25519:C${i}`, oneTimeKey(bob.userId, "BDEV", key)]),
    );
    await post(bob, "/keys/upload", { one_time_keys: keys });
    const alice = await user("alice");
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        post(alice, "/keys/claim", { one_time_keys: { [bob.userId]: { BDEV: "signed_curve25519" } } }),
      ),
    );
    const ids = results.flatMap((r) =>
      Object.keys((((r.body.one_time_keys as Json)[bob.userId] ?? {}) as Json).BDEV ?? {}),
    );
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });

  it("leaves unknown users and devices out, lists remote servers in failures, refuses malformed requests", async () => {
    const alice = await user("alice");
    const res = await post(alice, "/keys/claim", {
      one_time_keys: {
        "@ghost:hearth.test": { DEV: "signed_curve25519" },
        "@r:remote.example": { D: "signed_curve25519" },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.one_time_keys).toEqual({});
    expect(res.body.failures).toHaveProperty(["remote.example"]);
    for (const [body, errcode] of [
      [{ one_time_keys: { ghost: { DEV: "signed_curve25519" } } }, "M_INVALID_PARAM"],
      [{ one_time_keys: { "@a:hearth.test": ["DEV"] } }, "M_BAD_JSON"],
      [{ one_time_keys: { "@a:hearth.test": { DEV: 1 } } }, "M_BAD_JSON"],
      [{}, "M_BAD_JSON"],
    ] as const) {
      const bad = await post(alice, "/keys/claim", body);
      expect({ status: bad.status, errcode: bad.body.errcode }).toEqual({ status: 400, errcode });
    }
  });
});

describe("deleting a device", () => {
  it("removes its keys, so they are neither queried nor claimed", async () => {
    const bob = await user("bob", "GONE");
    const key = newKey();
    await post(bob, "/keys/upload", {
      device_keys: deviceKeys(bob.userId, "GONE", key),
      one_time_keys: { "signed_curve25519:K": oneTimeKey(bob.userId, "GONE", key) },
    });
    expect((await call(hs, bob, "POST", "/logout", {})).status).toBe(200);
    const alice = await user("alice");
    const query = await post(alice, "/keys/query", { device_keys: { [bob.userId]: [] } });
    expect((query.body.device_keys as Json)[bob.userId]).toEqual({});
    const claim = await post(alice, "/keys/claim", {
      one_time_keys: { [bob.userId]: { GONE: "signed_curve25519" } },
    });
    expect(claim.body.one_time_keys).toEqual({});
  });
});
