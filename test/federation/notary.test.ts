import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isJsonObject, type JsonObject } from "../../src/core/json.ts";
import { signJson, signingKeyFromSeed, verifyJsonSignature } from "../../src/core/signing.ts";
import { SignatureVerificationError } from "../../src/federation/contracts.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";

const notaryKey = signingKeyFromSeed("ed25519:n", new Uint8Array(32).fill(5));
let fed: TestFederation;

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test", "hs3.test", "hs4.test"], {
    overrides: (name) => {
      // hs3 asks hs2 (keys fetched from hs2); hs4 asks a fake notary whose key it pins.
      if (name === "hs3.test") return { federation: { trusted_key_servers: [{ server_name: "hs2.test" }] } };
      if (name === "hs4.test") {
        return {
          federation: {
            trusted_key_servers: [
              { server_name: "notary.test", verify_keys: { [notaryKey.keyId]: notaryKey.publicKey } },
            ],
          },
        };
      }
      return {};
    },
  });
});

afterAll(async () => {
  await fed?.destroy();
});

async function get(hs: Homeserver, path: string): Promise<{ status: number; body: JsonObject }> {
  const res = await hs.app(["federation"]).request(path);
  return { status: res.status, body: (await res.json()) as JsonObject };
}

async function post(hs: Homeserver, body: unknown): Promise<{ status: number; body: JsonObject }> {
  const res = await hs.app(["federation"]).request("/_matrix/key/v2/query", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as JsonObject };
}

function entries(body: JsonObject): JsonObject[] {
  expect(Array.isArray(body.server_keys)).toBe(true);
  return (body.server_keys as unknown[]).filter(isJsonObject);
}

function signedBy(obj: JsonObject, hs: Homeserver): boolean {
  const key = hs.ctx.keys.current;
  return verifyJsonSignature(obj, hs.ctx.serverName, key.keyId, key.publicKey);
}

describe("notary endpoints", () => {
  it("GET returns another server's keys signed by it and by us", async () => {
    const [hs1, hs2] = [fed.hs("hs1.test"), fed.hs("hs2.test")];
    const { status, body } = await get(hs2, "/_matrix/key/v2/query/hs1.test");
    expect(status).toBe(200);
    const [entry, ...rest] = entries(body);
    expect(rest).toEqual([]);
    expect(entry?.server_name).toBe("hs1.test");
    expect(Object.keys(entry?.verify_keys as JsonObject)).toEqual([hs1.ctx.keys.current.keyId]);
    expect(signedBy(entry!, hs1)).toBe(true);
    expect(signedBy(entry!, hs2)).toBe(true);
  });

  it("GET for ourselves returns our own response", async () => {
    const hs2 = fed.hs("hs2.test");
    const [entry] = entries((await get(hs2, "/_matrix/key/v2/query/hs2.test")).body);
    expect(entry?.server_name).toBe("hs2.test");
    expect(signedBy(entry!, hs2)).toBe(true);
  });

  it("serves cached keys of a server that is now offline", async () => {
    const hs2 = fed.hs("hs2.test");
    await get(hs2, "/_matrix/key/v2/query/hs1.test");
    fed.net.partition("hs1.test", "hs2.test");
    try {
      const far = Date.now() + 365 * 24 * 3600_000;
      const { body } = await get(hs2, `/_matrix/key/v2/query/hs1.test?minimum_valid_until_ts=${far}`);
      expect(entries(body).map((e) => e.server_name)).toEqual(["hs1.test"]);
    } finally {
      fed.net.heal();
    }
  });

  it("POST filters by key id; an empty key map means all keys", async () => {
    const hs2 = fed.hs("hs2.test");
    const keyId = fed.hs("hs1.test").ctx.keys.current.keyId;
    const all = await post(hs2, { server_keys: { "hs1.test": {} } });
    expect(entries(all.body)).toHaveLength(1);
    const one = await post(hs2, { server_keys: { "hs1.test": { [keyId]: { minimum_valid_until_ts: 0 } } } });
    expect(entries(one.body)).toHaveLength(1);
    const none = await post(hs2, { server_keys: { "hs1.test": { "ed25519:nope": {} } } });
    expect(entries(none.body)).toEqual([]);
  });

  it("returns nothing for unknown or invalid server names", async () => {
    const hs2 = fed.hs("hs2.test");
    expect(entries((await get(hs2, "/_matrix/key/v2/query/nowhere.test")).body)).toEqual([]);
    expect(entries((await get(hs2, "/_matrix/key/v2/query/not%20a%20name")).body)).toEqual([]);
  });

  it.each([
    ["not JSON", "{nope", 400, "M_NOT_JSON"],
    ["server_keys missing", {}, 400, "M_BAD_JSON"],
    ["server_keys a list", { server_keys: [] }, 400, "M_BAD_JSON"],
    ["criteria not an object", { server_keys: { "hs1.test": 1 } }, 400, "M_BAD_JSON"],
    ["key criteria not an object", { server_keys: { "hs1.test": { "ed25519:a": 1 } } }, 400, "M_BAD_JSON"],
    [
      "minimum not an integer",
      { server_keys: { "hs1.test": { "ed25519:a": { minimum_valid_until_ts: "soon" } } } },
      400,
      "M_INVALID_PARAM",
    ],
    [
      "too many servers",
      { server_keys: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`s${i}.test`, {}])) },
      400,
      "M_INVALID_PARAM",
    ],
  ])("POST rejects %s", async (_name, body, status, errcode) => {
    const res = await post(fed.hs("hs2.test"), body);
    expect(res.status).toBe(status);
    expect(res.body.errcode).toBe(errcode);
  });

  it("GET rejects a malformed minimum_valid_until_ts", async () => {
    const res = await get(fed.hs("hs2.test"), "/_matrix/key/v2/query/hs1.test?minimum_valid_until_ts=abc");
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_INVALID_PARAM");
  });
});

describe("keyring fallback to notaries", () => {
  it("gets keys through a configured notary when the server itself cannot be reached", async () => {
    const hs1 = fed.hs("hs1.test");
    const hs3 = fed.hs("hs3.test");
    // hs2 learns hs1's keys while it can reach it.
    await get(fed.hs("hs2.test"), "/_matrix/key/v2/query/hs1.test");
    fed.net.partition("hs1.test", "hs3.test");
    try {
      const obj = signJson({ a: 1 }, "hs1.test", hs1.ctx.keys.current);
      await hs3.ctx.federation.keyring.verifyServerSignature("hs1.test", obj, Date.now());
      const asked = fed.net.log
        .filter((r) => r.origin === "hs3.test")
        .map((r) => `${r.destination}${r.path}`);
      expect(asked).toContain("hs2.test/_matrix/key/v2/server");
      expect(
        asked.some((p) => p.startsWith("hs2.test/_matrix/key/v2/query/hs1.test?minimum_valid_until_ts=")),
      ).toBe(true);
    } finally {
      fed.net.heal();
    }
  });

  it("trusts a pinned notary's answers only with a valid notary signature", async () => {
    const hs1 = fed.hs("hs1.test");
    const hs4 = fed.hs("hs4.test");
    let tamper = false;
    fed.net.register("notary.test", async (req) => {
      const server = decodeURIComponent(new URL(req.url).pathname.split("/").pop() ?? "");
      const res = await fed.hs(server).app(["federation"]).request("/_matrix/key/v2/server");
      let entry = signJson((await res.json()) as JsonObject, "notary.test", notaryKey);
      if (tamper) entry = { ...entry, signatures: { [server]: (entry.signatures as JsonObject)[server]! } };
      return Response.json({ server_keys: [entry] });
    });
    fed.net.partition("hs1.test", "hs4.test");
    fed.net.partition("hs2.test", "hs4.test");
    try {
      const byHs1 = signJson({ b: 2 }, "hs1.test", hs1.ctx.keys.current);
      await hs4.ctx.federation.keyring.verifyServerSignature("hs1.test", byHs1, Date.now());
      tamper = true;
      const hs2 = fed.hs("hs2.test");
      const byHs2 = signJson({ b: 2 }, "hs2.test", hs2.ctx.keys.current);
      await expect(
        hs4.ctx.federation.keyring.verifyServerSignature("hs2.test", byHs2, Date.now()),
      ).rejects.toBeInstanceOf(SignatureVerificationError);
      // Never asked for notary.test's own keys: they are pinned.
      expect(
        fed.net.log.some((r) => r.destination === "notary.test" && r.path === "/_matrix/key/v2/server"),
      ).toBe(false);
    } finally {
      fed.net.heal();
    }
  });
});
