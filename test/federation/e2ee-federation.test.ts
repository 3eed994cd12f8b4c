import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession, type Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { crossSigningKey, deviceKeys, newKey, oneTimeKey } from "../client-api/e2ee-support.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi } from "./outbound-resident.ts";

/*
 * The federation side of end-to-end encryption between two real Hearths: user/devices and
 * user/keys/query|claim served, remote users' keys queried and claimed through them, device list and
 * signing key updates sent as EDUs and applied to the receiver's cache (with a resync on a gap), and
 * to-device messages carried as m.direct_to_device.
 */

let fed: TestFederation;
let hs1: Homeserver;
let hs2: Homeserver;
let alice: Session;
let bob: Session;
const aliceKey = newKey();
const aliceMaster = newKey();
const aliceSelfSigning = newKey();
let aliceA1Keys: JsonObject;

const enc = encodeURIComponent;
// Response bodies are arbitrary JSON; tests assert on their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

/** A signed federation request from `from` to `to`, as the server itself would make it. */
async function federation(
  from: Homeserver,
  to: string,
  method: "GET" | "POST",
  path: string,
  body?: JsonObject,
) {
  const res = await from.ctx.federation.client.request({
    destination: to,
    method,
    path,
    ...(body ? { body } : {}),
  });
  return { status: res.status, body: res.body as Body };
}

/**
 * Long-polls /sync from `since` until `found` says yes (the sync long-poll is the event waited on);
 * returns the next_batch of the response that had it.
 */
async function syncUntil(
  hs: Homeserver,
  session: Session,
  found: (body: Body) => boolean,
  since?: string,
): Promise<string> {
  for (let round = 0; round < 40; round++) {
    const q = since ? `?since=${enc(since)}&timeout=5000` : "";
    const res = await clientApi(hs, session.accessToken, "GET", `/sync${q}`);
    expect(res.status).toBe(200);
    since = res.body.next_batch as string;
    if (found(res.body)) return since;
  }
  throw new Error("sync never showed what was expected");
}

/** Where `session`'s sync stands now, to wait for what happens next. */
const syncToken = (hs: Homeserver, session: Session) => syncUntil(hs, session, () => true);

const changed = (userId: string) => (b: Body) => (b.device_lists?.changed ?? []).includes(userId);

async function queryAlice(): Promise<Body> {
  const res = await clientApi(hs2, bob.accessToken, "POST", "/keys/query", {
    device_keys: { [alice.userId]: [] },
  });
  expect(res.status).toBe(200);
  return res.body;
}

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test"]);
  [hs1, hs2] = fed.servers as [Homeserver, Homeserver];
  alice = await createTestUser(hs1, "alice", { deviceId: "A1" });
  bob = await createTestUser(hs2, "bob", { deviceId: "B1" });
  aliceA1Keys = deviceKeys(alice.userId, "A1", aliceKey);
  const upload = await clientApi(hs1, alice.accessToken, "POST", "/keys/upload", {
    device_keys: aliceA1Keys,
    one_time_keys: {
      "signed_curve25519:AAAA": oneTimeKey(alice.userId, "A1", aliceKey),
      "signed_curve25519:AAAB": oneTimeKey(alice.userId, "A1", aliceKey),
    },
    fallback_keys: { "signed_curve25519:FFFF": oneTimeKey(alice.userId, "A1", aliceKey, true) },
  });
  expect(upload.status).toBe(200);
  const signing = await clientApi(hs1, alice.accessToken, "POST", "/keys/device_signing/upload", {
    master_key: crossSigningKey(alice.userId, "master", aliceMaster),
    self_signing_key: crossSigningKey(alice.userId, "self_signing", aliceSelfSigning, aliceMaster),
  });
  expect(signing.status).toBe(200);
});
afterAll(() => fed?.destroy());

describe("served to other servers", () => {
  it("user/devices lists a local user's devices, keys, cross-signing keys and version", async () => {
    const res = await federation(
      hs2,
      "hs1.test",
      "GET",
      `/_matrix/federation/v1/user/devices/${enc(alice.userId)}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(alice.userId);
    expect(res.body.stream_id).toBeGreaterThan(0);
    expect(res.body.devices).toEqual([{ device_id: "A1", keys: aliceA1Keys }]);
    expect(res.body.master_key.keys).toEqual(crossSigningKey(alice.userId, "master", aliceMaster).keys);
    expect(res.body.self_signing_key.usage).toEqual(["self_signing"]);

    const remote = await federation(
      hs2,
      "hs1.test",
      "GET",
      `/_matrix/federation/v1/user/devices/${enc(bob.userId)}`,
    );
    expect(remote.status).toBe(400);
    expect(remote.body.errcode).toBe("M_INVALID_PARAM");
    const unknown = await federation(
      hs2,
      "hs1.test",
      "GET",
      `/_matrix/federation/v1/user/devices/${enc("@nobody:hs1.test")}`,
    );
    expect(unknown.body).toEqual({ user_id: "@nobody:hs1.test", stream_id: 0, devices: [] });
  });

  it("user/keys/query answers for local users only; user/keys/claim hands out one-time keys once each", async () => {
    const q = await federation(hs2, "hs1.test", "POST", "/_matrix/federation/v1/user/keys/query", {
      device_keys: { [alice.userId]: [], "@someone:hs2.test": [] },
    });
    expect(q.status).toBe(200);
    expect(Object.keys(q.body.device_keys)).toEqual([alice.userId]);
    expect(q.body.device_keys[alice.userId].A1.keys).toEqual(aliceA1Keys.keys);
    expect(q.body.master_keys[alice.userId]).toBeDefined();
    expect(q.body.user_signing_keys).toBeUndefined();

    const bad = await federation(hs2, "hs1.test", "POST", "/_matrix/federation/v1/user/keys/query", {
      device_keys: [],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe("M_BAD_JSON");

    const claim = await federation(hs2, "hs1.test", "POST", "/_matrix/federation/v1/user/keys/claim", {
      one_time_keys: {
        [alice.userId]: { A1: "signed_curve25519" },
        "@x:hs2.test": { X: "signed_curve25519" },
      },
    });
    expect(claim.status).toBe(200);
    expect(Object.keys(claim.body.one_time_keys[alice.userId].A1)).toEqual(["signed_curve25519:AAAA"]);
    expect(claim.body.one_time_keys["@x:hs2.test"]).toBeUndefined();
  });
});

describe("used for remote users by the client API", () => {
  it("keys/claim takes a remote device's next one-time key, then its fallback key, through its server", async () => {
    const claim = () =>
      clientApi(hs2, bob.accessToken, "POST", "/keys/claim", {
        one_time_keys: { [alice.userId]: { A1: "signed_curve25519" } },
      });
    const first = await claim();
    expect(first.status).toBe(200);
    expect(first.body.failures).toEqual({});
    // AAAA went to the direct user/keys/claim above.
    expect(Object.keys(first.body.one_time_keys[alice.userId].A1)).toEqual(["signed_curve25519:AAAB"]);
    const second = await claim();
    expect(Object.keys(second.body.one_time_keys[alice.userId].A1)).toEqual(["signed_curve25519:FFFF"]);

    const unreachable = await clientApi(hs2, bob.accessToken, "POST", "/keys/claim", {
      one_time_keys: { "@ghost:nowhere.test": { G: "signed_curve25519" } },
    });
    expect(unreachable.status).toBe(200);
    expect(unreachable.body.failures).toHaveProperty(["nowhere.test"]);
  });

  it("keys/query fetches a remote user's keys; device list updates then keep the cache current", async () => {
    const before = await queryAlice();
    expect(before.failures).toEqual({});
    expect(before.device_keys[alice.userId].A1.keys).toEqual(aliceA1Keys.keys);
    expect(before.master_keys[alice.userId].usage).toEqual(["master"]);

    // Share a room, so hs1 tells hs2 about alice's devices from now on.
    const room = await clientApi(hs1, alice.accessToken, "POST", "/createRoom", { preset: "public_chat" });
    const roomId: string = room.body.room_id;
    expect(
      (await clientApi(hs2, bob.accessToken, "POST", `/join/${enc(roomId)}?server_name=hs1.test`, {})).status,
    ).toBe(200);
    await queryAlice(); // caches the list now that the user is tracked

    // A new device with keys: an m.device_list_update reaches hs2 and bob's sync names alice.
    let since = await syncToken(hs2, bob);
    const a2 = await startSession(hs1.ctx, alice.userId, { deviceId: "A2" });
    const a2Keys = deviceKeys(alice.userId, "A2", newKey());
    await clientApi(hs1, a2.accessToken, "POST", "/keys/upload", { device_keys: a2Keys });
    since = await syncUntil(hs2, bob, changed(alice.userId), since);

    // Served from hs2's cache: hs1 is cut off and the answer still has A2.
    fed.net.partition("hs1.test", "hs2.test");
    try {
      const cached = await queryAlice();
      expect(cached.failures).toEqual({});
      expect(Object.keys(cached.device_keys[alice.userId]).sort()).toEqual(["A1", "A2"]);
      expect(cached.device_keys[alice.userId].A2.keys).toEqual(a2Keys.keys);
    } finally {
      fed.net.heal();
    }

    // Logging A2 out deletes it; the update says so and the cache drops it.
    expect((await clientApi(hs1, a2.accessToken, "POST", "/logout", {})).status).toBe(200);
    await syncUntil(hs2, bob, changed(alice.userId), since);
    fed.net.partition("hs1.test", "hs2.test");
    try {
      expect(Object.keys((await queryAlice()).device_keys[alice.userId])).toEqual(["A1"]);
    } finally {
      fed.net.heal();
    }
  });

  it("applies m.signing_key_update to the cached list when a remote user sets up cross-signing", async () => {
    const carol = await createTestUser(hs1, "carol", { deviceId: "C1" });
    const room = await clientApi(hs1, carol.accessToken, "POST", "/createRoom", { preset: "public_chat" });
    const roomId: string = room.body.room_id;
    const join = await clientApi(
      hs2,
      bob.accessToken,
      "POST",
      `/join/${enc(roomId)}?server_name=hs1.test`,
      {},
    );
    expect(join.status).toBe(200);
    const query = () =>
      clientApi(hs2, bob.accessToken, "POST", "/keys/query", { device_keys: { [carol.userId]: [] } });
    expect((await query()).body.master_keys).toEqual({}); // cached: no cross-signing keys yet

    const since = await syncToken(hs2, bob);
    const master = newKey();
    const upload = await clientApi(hs1, carol.accessToken, "POST", "/keys/device_signing/upload", {
      master_key: crossSigningKey(carol.userId, "master", master),
      self_signing_key: crossSigningKey(carol.userId, "self_signing", newKey(), master),
    });
    expect(upload.status).toBe(200);
    await syncUntil(hs2, bob, changed(carol.userId), since);
    fed.net.partition("hs1.test", "hs2.test");
    try {
      const cached = (await query()).body;
      expect(cached.failures).toEqual({});
      expect(cached.master_keys[carol.userId].keys).toEqual({
        [`ed25519:${master.publicKey}`]: master.publicKey,
      });
      expect(cached.self_signing_keys[carol.userId].usage).toEqual(["self_signing"]);
    } finally {
      fed.net.heal();
    }
  });

  it("resyncs through user/devices when an update does not follow on from the cached version", async () => {
    // Make hs2's cache miss something: an older version without A1.
    await hs2.ctx.db
      .updateTable("e2e_remote_device_lists")
      .set({ stream_id: 1, devices: "{}" })
      .where("user_id", "=", alice.userId)
      .execute();
    const since = await syncToken(hs2, bob);
    const a3 = await startSession(hs1.ctx, alice.userId, { deviceId: "A3" });
    await clientApi(hs1, a3.accessToken, "POST", "/keys/upload", {
      device_keys: deviceKeys(alice.userId, "A3", newKey()),
    });
    await syncUntil(hs2, bob, changed(alice.userId), since);
    const truth = await federation(
      hs2,
      "hs1.test",
      "GET",
      `/_matrix/federation/v1/user/devices/${enc(alice.userId)}`,
    );
    const row = await hs2.ctx.db
      .selectFrom("e2e_remote_device_lists")
      .selectAll()
      .where("user_id", "=", alice.userId)
      .executeTakeFirstOrThrow();
    expect(Number(row.stream_id)).toBe(truth.body.stream_id);
    // A1 is back: only the full resync could have brought it, the update named A3 alone.
    expect(Object.keys(JSON.parse(row.devices) as object).sort()).toEqual(["A1", "A3"]);
  });

  it("carries to-device messages to remote devices once per transaction id", async () => {
    const send = () =>
      clientApi(hs2, bob.accessToken, "PUT", "/sendToDevice/m.test.ping/t1", {
        messages: { [alice.userId]: { A1: { n: 1 } } },
      });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    let seen: Body[] = [];
    const since = await syncUntil(hs1, alice, (b) => {
      seen = seen.concat(b.to_device?.events ?? []);
      return seen.length > 0;
    });
    expect(seen).toEqual([{ sender: bob.userId, type: "m.test.ping", content: { n: 1 } }]);
    // The retry sent nothing: a later message is the next thing alice's device gets.
    await clientApi(hs2, bob.accessToken, "PUT", "/sendToDevice/m.test.ping/t2", {
      messages: { [alice.userId]: { A1: { n: 2 } } },
    });
    let next: Body[] = [];
    await syncUntil(
      hs1,
      alice,
      (b) => {
        next = next.concat((b.to_device?.events ?? []) as Body[]);
        return next.some((e) => e.content.n === 2);
      },
      since,
    );
    expect(next.map((e) => e.content.n)).toEqual([2]);
  });
  it("applies every device of one change (logout/all) that arrives as several updates at one stream_id", async () => {
    const dave = await createTestUser(hs1, "dave", { deviceId: "D1" });
    const sessions = [dave, await startSession(hs1.ctx, dave.userId, { deviceId: "D2" })];
    sessions.push(await startSession(hs1.ctx, dave.userId, { deviceId: "D3" }));
    for (const s of sessions) {
      await clientApi(hs1, s.accessToken, "POST", "/keys/upload", {
        device_keys: deviceKeys(dave.userId, s.deviceId, newKey()),
      });
    }
    const room = await clientApi(hs1, dave.accessToken, "POST", "/createRoom", { preset: "public_chat" });
    const roomId: string = room.body.room_id;
    const join = await clientApi(
      hs2,
      bob.accessToken,
      "POST",
      `/join/${enc(roomId)}?server_name=hs1.test`,
      {},
    );
    expect(join.status).toBe(200);
    const query = () =>
      clientApi(hs2, bob.accessToken, "POST", "/keys/query", { device_keys: { [dave.userId]: [] } });
    expect(Object.keys((await query()).body.device_keys[dave.userId]).sort()).toEqual(["D1", "D2", "D3"]);

    const since = await syncToken(hs2, bob);
    expect((await clientApi(hs1, dave.accessToken, "POST", "/logout/all", {})).status).toBe(200);
    await syncUntil(hs2, bob, changed(dave.userId), since);
    // Wait until hs2 has applied all three updates (they may straddle syncs), then read its cache alone.
    await hs1.ctx.federation.sender.settled("hs2.test");
    fed.net.partition("hs1.test", "hs2.test");
    try {
      const cached = (await query()).body;
      expect(cached.failures).toEqual({});
      expect(cached.device_keys[dave.userId]).toEqual({});
    } finally {
      fed.net.heal();
    }
  });
});
