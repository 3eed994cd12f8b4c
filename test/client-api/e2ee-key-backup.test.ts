import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { shouldReplaceBackedUpKey } from "../../src/core/room-key-replacement.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { call, enc } from "../sync/helpers.ts";

let hs: TestHomeserver;
let n = 0;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());

type Json = Record<string, unknown>;
const user = (name: string): Promise<Session> => createTestUser(hs, `${name}${++n}`);
const ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2";
const ROOM = "!room:hearth.test";

function keyData(first: number, forwarded: number, verified: boolean, tag: string): Json {
  return {
    first_message_index: first,
    forwarded_count: forwarded,
    is_verified: verified,
    session_data: { ephemeral: tag, ciphertext: tag, mac: tag },
  };
}

async function newVersion(s: Session, publicKey = "pk"): Promise<string> {
  const res = await call(hs, s, "POST", "/room_keys/version", {
    algorithm: ALGORITHM,
    auth_data: { public_key: publicKey },
  });
  expect(res.status).toBe(200);
  return res.body.version as string;
}

describe("room_keys/version", () => {
  it("404 M_NOT_FOUND with no backup; create, read latest and by number, update auth_data, delete", async () => {
    const alice = await user("alice");
    const none = await call(hs, alice, "GET", "/room_keys/version");
    expect({ status: none.status, errcode: none.body.errcode }).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });

    const v1 = await newVersion(alice, "one");
    const v2 = await newVersion(alice, "two");
    expect([v1, v2]).toEqual(["1", "2"]);
    expect((await call(hs, alice, "GET", "/room_keys/version")).body).toEqual({
      algorithm: ALGORITHM,
      auth_data: { public_key: "two" },
      count: 0,
      etag: "0",
      version: "2",
    });
    expect((await call(hs, alice, "GET", "/room_keys/version/1")).body).toMatchObject({
      version: "1",
      auth_data: { public_key: "one" },
    });

    const update = await call(hs, alice, "PUT", "/room_keys/version/2", {
      algorithm: ALGORITHM,
      auth_data: { public_key: "two", signatures: {} },
      version: "2",
    });
    expect(update.status).toBe(200);
    expect((await call(hs, alice, "GET", "/room_keys/version/2")).body.auth_data).toEqual({
      public_key: "two",
      signatures: {},
    });
    const wrongVersion = await call(hs, alice, "PUT", "/room_keys/version/2", {
      algorithm: ALGORITHM,
      auth_data: {},
      version: "1",
    });
    expect(wrongVersion.body.errcode).toBe("M_INVALID_PARAM");
    const wrongAlgorithm = await call(hs, alice, "PUT", "/room_keys/version/2", {
      algorithm: "other",
      auth_data: {},
    });
    expect(wrongAlgorithm.body.errcode).toBe("M_INVALID_PARAM");

    expect((await call(hs, alice, "DELETE", "/room_keys/version/2")).status).toBe(200);
    expect((await call(hs, alice, "GET", "/room_keys/version")).body.version).toBe("1");
    expect((await call(hs, alice, "GET", "/room_keys/version/2")).status).toBe(404);
    expect((await call(hs, alice, "DELETE", "/room_keys/version/2")).status).toBe(404);
    // Numbers are not reused after a delete.
    expect(await newVersion(alice)).toBe("3");
    for (const bad of ["abc", "0", "-1", "99"]) {
      expect((await call(hs, alice, "GET", `/room_keys/version/${bad}`)).status).toBe(404);
    }
    // Another user's backup is invisible.
    expect((await call(hs, await user("bob"), "GET", "/room_keys/version/1")).status).toBe(404);
  });

  it("refuses malformed versions", async () => {
    const alice = await user("alice");
    for (const body of [
      {},
      { algorithm: ALGORITHM },
      { algorithm: ALGORITHM, auth_data: "x" },
      { algorithm: 5, auth_data: {} },
    ]) {
      const res = await call(hs, alice, "POST", "/room_keys/version", body);
      expect({ status: res.status, errcode: res.body.errcode }).toEqual({
        status: 400,
        errcode: "M_BAD_JSON",
      });
    }
  });
});

describe("room_keys/keys", () => {
  it("stores at all three levels with etag and count, reads and deletes them", async () => {
    const alice = await user("alice");
    const version = await newVersion(alice);
    const q = `?version=${version}`;
    const put1 = await call(
      hs,
      alice,
      "PUT",
      `/room_keys/keys/${enc(ROOM)}/s1${q}`,
      keyData(0, 0, false, "a"),
    );
    expect(put1.body).toEqual({ etag: "1", count: 1 });
    const put2 = await call(hs, alice, "PUT", `/room_keys/keys/${enc(ROOM)}${q}`, {
      sessions: { s2: keyData(3, 0, false, "b") },
    });
    expect(put2.body).toEqual({ etag: "2", count: 2 });
    const put3 = await call(hs, alice, "PUT", `/room_keys/keys${q}`, {
      rooms: { "!other:hearth.test": { sessions: { s3: keyData(0, 1, true, "c") } } },
    });
    expect(put3.body).toEqual({ etag: "3", count: 3 });
    expect((await call(hs, alice, "GET", "/room_keys/version")).body).toMatchObject({ count: 3, etag: "3" });

    const all = await call(hs, alice, "GET", `/room_keys/keys${q}`);
    expect(all.body).toEqual({
      rooms: {
        [ROOM]: { sessions: { s1: keyData(0, 0, false, "a"), s2: keyData(3, 0, false, "b") } },
        "!other:hearth.test": { sessions: { s3: keyData(0, 1, true, "c") } },
      },
    });
    expect((await call(hs, alice, "GET", `/room_keys/keys/${enc(ROOM)}${q}`)).body).toEqual({
      sessions: { s1: keyData(0, 0, false, "a"), s2: keyData(3, 0, false, "b") },
    });
    expect((await call(hs, alice, "GET", `/room_keys/keys/${enc(ROOM)}/s2${q}`)).body).toEqual(
      keyData(3, 0, false, "b"),
    );
    expect((await call(hs, alice, "GET", `/room_keys/keys/${enc("!empty:hearth.test")}${q}`)).body).toEqual({
      sessions: {},
    });
    const missing = await call(hs, alice, "GET", `/room_keys/keys/${enc(ROOM)}/nope${q}`);
    expect({ status: missing.status, errcode: missing.body.errcode }).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });

    expect((await call(hs, alice, "DELETE", `/room_keys/keys/${enc(ROOM)}/s1${q}`)).body).toEqual({
      etag: "4",
      count: 2,
    });
    expect((await call(hs, alice, "DELETE", `/room_keys/keys/${enc(ROOM)}${q}`)).body).toEqual({
      etag: "5",
      count: 1,
    });
    expect((await call(hs, alice, "DELETE", `/room_keys/keys${q}`)).body).toEqual({ etag: "6", count: 0 });
  });

  it("keeps the better key: verified first, then lower first_message_index, then lower forwarded_count", async () => {
    const alice = await user("alice");
    const version = await newVersion(alice);
    const path = `/room_keys/keys/${enc(ROOM)}/s?version=${version}`;
    const put = (data: Json) => call(hs, alice, "PUT", path, data);
    const stored = async () => (await call(hs, alice, "GET", path)).body;
    await put(keyData(5, 2, false, "start"));
    expect((await put(keyData(6, 0, false, "later index"))).body).toEqual({ etag: "1", count: 1 });
    expect((await stored()).session_data).toEqual(keyData(0, 0, false, "start").session_data);
    await put(keyData(5, 1, false, "fewer forwards"));
    expect((await stored()).session_data).toMatchObject({ ciphertext: "fewer forwards" });
    await put(keyData(2, 9, false, "earlier index"));
    expect((await stored()).session_data).toMatchObject({ ciphertext: "earlier index" });
    await put(keyData(9, 9, true, "verified"));
    expect((await stored()).session_data).toMatchObject({ ciphertext: "verified" });
    const unverified = await put(keyData(0, 0, false, "unverified but earlier"));
    expect(unverified.body.etag).toBe("4");
    expect((await stored()).session_data).toMatchObject({ ciphertext: "verified" });
    // The rule on its own, including equal keys (no replacement).
    const k = { isVerified: false, firstMessageIndex: 1, forwardedCount: 1 };
    expect(shouldReplaceBackedUpKey(k, k)).toBe(false);
    expect(shouldReplaceBackedUpKey(undefined, k)).toBe(true);
  });

  it("refuses writes to an old version with M_WRONG_ROOM_KEYS_VERSION, and bad input", async () => {
    const alice = await user("alice");
    const noBackup = await call(
      hs,
      alice,
      "PUT",
      `/room_keys/keys/${enc(ROOM)}/s?version=1`,
      keyData(0, 0, false, "x"),
    );
    expect({ status: noBackup.status, errcode: noBackup.body.errcode }).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
    const old = await newVersion(alice);
    const current = await newVersion(alice);
    const res = await call(
      hs,
      alice,
      "PUT",
      `/room_keys/keys/${enc(ROOM)}/s?version=${old}`,
      keyData(0, 0, false, "x"),
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errcode: "M_WRONG_ROOM_KEYS_VERSION", current_version: current });
    const missing = await call(hs, alice, "PUT", `/room_keys/keys/${enc(ROOM)}/s`, keyData(0, 0, false, "x"));
    expect(missing.body.errcode).toBe("M_MISSING_PARAM");
    for (const body of [
      { first_message_index: 0, forwarded_count: 0, is_verified: "yes", session_data: {} },
      { first_message_index: -1, forwarded_count: 0, is_verified: true, session_data: {} },
      { first_message_index: 0.5, forwarded_count: 0, is_verified: true, session_data: {} },
      { first_message_index: 0, forwarded_count: 0, is_verified: true, session_data: "x" },
    ]) {
      const bad = await call(hs, alice, "PUT", `/room_keys/keys/${enc(ROOM)}/s?version=${current}`, body);
      expect({ status: bad.status, errcode: bad.body.errcode }).toEqual({
        status: 400,
        errcode: "M_BAD_JSON",
      });
    }
    const badRooms = await call(hs, alice, "PUT", `/room_keys/keys?version=${current}`, {
      rooms: { [ROOM]: {} },
    });
    expect(badRooms.body.errcode).toBe("M_BAD_JSON");
    expect((await call(hs, alice, "GET", "/room_keys/version")).body.count).toBe(0);
  });
});
