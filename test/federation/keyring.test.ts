import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.ts";
import { hashAndSignEvent } from "../../src/core/hashes.ts";
import type { Pdu } from "../../src/core/pdu.ts";
import { getRoomVersion, type RoomVersion } from "../../src/core/room-versions.ts";
import { signJson, signingKeyFromSeed, type SigningKey } from "../../src/core/signing.ts";
import { SignatureVerificationError } from "../../src/federation/contracts.ts";
import { MIN_REFETCH_INTERVAL_MS } from "../../src/federation/keyring/keyring.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
let now = 1_700_000_000_000;
const clock = (): number => now;
let fed: TestFederation;

const keyA = signingKeyFromSeed("ed25519:a", new Uint8Array(32).fill(1));
const keyB = signingKeyFromSeed("ed25519:b", new Uint8Array(32).fill(2));

/** A server that only serves keys, with whatever response the test sets; counts its key requests. */
class FakeKeyServer {
  fetches = 0;
  response: () => JsonObject;
  constructor(
    readonly name: string,
    key: SigningKey,
    validForMs = DAY,
  ) {
    this.response = () => this.keyResponse([key], [], now + validForMs);
  }
  keyResponse(
    current: SigningKey[],
    old: { key: SigningKey; expiredTs: number }[],
    validUntilTs: number,
    signWith = current,
  ): JsonObject {
    let body: JsonObject = {
      server_name: this.name,
      valid_until_ts: validUntilTs,
      verify_keys: Object.fromEntries(current.map((k) => [k.keyId, { key: k.publicKey }])),
      old_verify_keys: Object.fromEntries(
        old.map((o) => [o.key.keyId, { key: o.key.publicKey, expired_ts: o.expiredTs }]),
      ),
    };
    for (const k of signWith) body = signJson(body, this.name, k);
    return body;
  }
  install(f: TestFederation): this {
    f.net.register(this.name, (req) => {
      if (new URL(req.url).pathname !== "/_matrix/key/v2/server") return new Response("{}", { status: 404 });
      this.fetches++;
      return Response.json(this.response());
    });
    return this;
  }
}

function signed(server: string, key: SigningKey, extra: JsonObject = {}): JsonObject {
  return signJson({ hello: "world", ...extra }, server, key);
}

const keyring = () => fed.hs("hs2.test").ctx.federation.keyring;
const tick = (ms = MIN_REFETCH_INTERVAL_MS + 1): void => {
  now += ms;
};

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test"], { clock });
});

afterAll(async () => {
  await fed?.destroy();
});

describe("keyring: fetching and caching", () => {
  it("fetches once, caches in memory, dedupes concurrent fetches, and survives a restart via the database", async () => {
    const fake = new FakeKeyServer("cache.test", keyA).install(fed);
    const obj = signed("cache.test", keyA);
    await Promise.all([1, 2, 3].map(() => keyring().verifyServerSignature("cache.test", obj, now)));
    expect(fake.fetches).toBe(1);
    await keyring().verifyServerSignature("cache.test", obj, now);
    expect(fake.fetches).toBe(1);
    await fed.restart("hs2.test");
    await keyring().verifyServerSignature("cache.test", obj, now);
    expect(fake.fetches).toBe(1);
  });

  it("refetches once valid_until_ts has passed, and fails if the server is then unreachable", async () => {
    const fake = new FakeKeyServer("expiry.test", keyA, HOUR).install(fed);
    const obj = signed("expiry.test", keyA);
    await keyring().verifyServerSignature("expiry.test", obj, now);
    tick(2 * HOUR);
    await keyring().verifyServerSignature("expiry.test", obj, now);
    expect(fake.fetches).toBe(2);
    tick(2 * HOUR);
    fed.net.unregister("expiry.test");
    await expect(keyring().verifyServerSignature("expiry.test", obj, now)).rejects.toBeInstanceOf(
      SignatureVerificationError,
    );
    // Checking a time the cached key covered still works without the server.
    await keyring().verifyServerSignature("expiry.test", obj, now - 3 * HOUR);
  });

  it("trusts a key no further than 7 days after fetching it, whatever valid_until_ts says", async () => {
    const fake = new FakeKeyServer("cap.test", keyA, 30 * DAY).install(fed);
    const obj = signed("cap.test", keyA);
    const fetchedAt = now;
    await keyring().verifyServerSignature("cap.test", obj, fetchedAt + 6 * DAY);
    expect(fake.fetches).toBe(1);
    tick(8 * DAY);
    await keyring().verifyServerSignature("cap.test", obj, fetchedAt + 8 * DAY);
    expect(fake.fetches).toBe(2);
  });

  it("refetches for an unknown key id at most once per interval", async () => {
    const fake = new FakeKeyServer("rotate.test", keyA).install(fed);
    await keyring().verifyServerSignature("rotate.test", signed("rotate.test", keyA), now);
    fake.response = () => fake.keyResponse([keyB], [{ key: keyA, expiredTs: now - 1 }], now + DAY);
    // Just fetched: the new key is not asked for yet.
    await expect(
      keyring().verifyServerSignature("rotate.test", signed("rotate.test", keyB), now),
    ).rejects.toBeInstanceOf(SignatureVerificationError);
    expect(fake.fetches).toBe(1);
    tick();
    await keyring().verifyServerSignature("rotate.test", signed("rotate.test", keyB), now);
    expect(fake.fetches).toBe(2);
  });

  it("honours old_verify_keys up to their expired_ts", async () => {
    const expiredTs = now - HOUR;
    const fake = new FakeKeyServer("old.test", keyB).install(fed);
    fake.response = () => fake.keyResponse([keyB], [{ key: keyA, expiredTs }], now + DAY);
    const byOld = signed("old.test", keyA);
    await keyring().verifyServerSignature("old.test", byOld, expiredTs - 1);
    await keyring().verifyServerSignature("old.test", byOld, expiredTs);
    tick();
    await expect(keyring().verifyServerSignature("old.test", byOld, expiredTs + 1)).rejects.toBeInstanceOf(
      SignatureVerificationError,
    );
  });

  it.each([
    [
      "a response for another server",
      (f: FakeKeyServer) => ({ ...f.keyResponse([keyA], [], now + DAY), server_name: "x.test" }),
    ],
    ["an unsigned response", (f: FakeKeyServer) => f.keyResponse([keyA], [], now + DAY, [])],
    [
      "a response signed by a key it does not list",
      (f: FakeKeyServer) => f.keyResponse([keyA], [], now + DAY, [keyB]),
    ],
    [
      "a response with a bad self-signature",
      (f: FakeKeyServer) => {
        const r = f.keyResponse([keyA], [], now + DAY);
        return { ...r, valid_until_ts: now + 2 * DAY };
      },
    ],
    [
      "a response without valid_until_ts",
      (f: FakeKeyServer) => {
        const { valid_until_ts: _drop, ...rest } = f.keyResponse([keyA], [], now + DAY);
        return signJson(rest, f.name, keyA);
      },
    ],
  ])("rejects %s", async (name, make) => {
    tick();
    const server = `bad${name.length}.test`;
    const fake = new FakeKeyServer(server, keyA).install(fed);
    fake.response = () => make(fake);
    await expect(keyring().verifyServerSignature(server, signed(server, keyA), now)).rejects.toBeInstanceOf(
      SignatureVerificationError,
    );
    expect(fake.fetches).toBe(1);
  });

  it("rejects a signature that does not verify with a known key", async () => {
    const obj = { ...signed("hs1.test", fed.hs("hs1.test").ctx.keys.current), hello: "tampered" };
    await expect(keyring().verifyServerSignature("hs1.test", obj, now)).rejects.toBeInstanceOf(
      SignatureVerificationError,
    );
  });

  it("knows its own keys without fetching", async () => {
    const hs2 = fed.hs("hs2.test");
    await keyring().verifyServerSignature("hs2.test", signed("hs2.test", hs2.ctx.keys.current), now);
    expect(fed.net.log.some((r) => r.destination === "hs2.test" && r.path === "/_matrix/key/v2/server")).toBe(
      false,
    );
  });
});

describe("keyring: event signatures", () => {
  const v10 = getRoomVersion("10") as RoomVersion;
  const v3 = getRoomVersion("3") as RoomVersion;

  function event(sender: string, ts: number, extra: JsonObject = {}): Pdu {
    return {
      type: "m.room.message",
      room_id: "!room:hs1.test",
      sender,
      content: { body: "hi", msgtype: "m.text" },
      origin_server_ts: ts,
      depth: 3,
      prev_events: [],
      auth_events: [],
      ...extra,
    } as Pdu;
  }

  it("verifies a real server's event on the redacted form, and rejects tampering and missing signatures", async () => {
    const hs1 = fed.hs("hs1.test");
    const pdu = hashAndSignEvent(event("@alice:hs1.test", now), v10, "hs1.test", hs1.ctx.keys.current);
    await keyring().verifyEventSignatures(pdu, v10);
    // Content is redacted away: the signature still holds (the content hash catches this instead).
    await keyring().verifyEventSignatures({ ...pdu, content: { body: "changed" } }, v10);
    await expect(
      keyring().verifyEventSignatures({ ...pdu, type: "m.room.other" }, v10),
    ).rejects.toBeInstanceOf(SignatureVerificationError);
    await expect(keyring().verifyEventSignatures({ ...pdu, signatures: {} }, v10)).rejects.toBeInstanceOf(
      SignatureVerificationError,
    );
    const sentByOther = hashAndSignEvent(
      event("@mallory:other.test", now),
      v10,
      "hs1.test",
      hs1.ctx.keys.current,
    );
    await expect(keyring().verifyEventSignatures(sentByOther, v10)).rejects.toBeInstanceOf(
      SignatureVerificationError,
    );
  });

  it("needs the key valid at origin_server_ts in v5+, not in v1–v4", async () => {
    tick();
    const fake = new FakeKeyServer("events.test", keyA, HOUR).install(fed);
    const later = now + 2 * HOUR;
    const v10Event = hashAndSignEvent(event("@bob:events.test", later), v10, "events.test", keyA);
    // The server keeps publishing a key valid for one hour: v10 cannot accept an event after that.
    await expect(keyring().verifyEventSignatures(v10Event, v10)).rejects.toBeInstanceOf(
      SignatureVerificationError,
    );
    const v3Event = hashAndSignEvent(event("@bob:events.test", later), v3, "events.test", keyA);
    await keyring().verifyEventSignatures(v3Event, v3);
    expect(fake.fetches).toBe(1);
  });

  it("rejects an event with a malformed sender", async () => {
    const pdu = hashAndSignEvent(event("alice", now), v10, "hs1.test", fed.hs("hs1.test").ctx.keys.current);
    await expect(keyring().verifyEventSignatures(pdu, v10)).rejects.toBeInstanceOf(
      SignatureVerificationError,
    );
  });
});
