import fc from "fast-check";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../../src/core/base64.ts";
import { encodeCanonicalJson, parseJson } from "../../src/core/canonical-json.ts";
import type { JsonObject, JsonValue } from "../../src/core/json.ts";
import {
  signBytes,
  signingBytes,
  signingKeyFromSeed,
  signJson,
  verifyJsonSignature,
  verifySignatureBytes,
} from "../../src/core/signing.ts";
import {
  RUMA_KEY,
  RUMA_PKCS8,
  RUMA_PUBLIC_KEY,
  SPEC_KEY,
  SPEC_PUBLIC_KEY,
  SPEC_SEED,
} from "./crypto-fixtures.ts";

function obj(text: string): JsonObject {
  return parseJson(text) as JsonObject;
}

describe("signing keys", () => {
  it("derives the spec key's public key from its seed", () => {
    expect(SPEC_KEY.publicKey).toBe(SPEC_PUBLIC_KEY);
    expect(SPEC_KEY.keyId).toBe("ed25519:1");
  });

  it("derives ruma's public key from the seed inside its PKCS#8 DER", () => {
    expect(RUMA_KEY.publicKey).toBe(RUMA_PUBLIC_KEY);
    expect(encodeBase64(RUMA_PKCS8.subarray(51))).toBe(RUMA_PUBLIC_KEY);
  });

  it("matches tweetnacl's key derivation", () => {
    const pair = nacl.sign.keyPair.fromSeed(SPEC_SEED);
    expect(encodeBase64(pair.publicKey)).toBe(SPEC_PUBLIC_KEY);
  });

  it("refuses bad key ids and seeds", () => {
    expect(() => signingKeyFromSeed("ed25519:", SPEC_SEED)).toThrow();
    expect(() => signingKeyFromSeed("curve25519:1", SPEC_SEED)).toThrow();
    expect(() => signingKeyFromSeed("ed25519:a-b", SPEC_SEED)).toThrow();
    expect(() => signingKeyFromSeed("ed25519:1", SPEC_SEED.subarray(1))).toThrow();
  });

  it("still signs with a key object built by hand (no memo entry)", () => {
    const copy = { ...SPEC_KEY };
    expect(signBytes(copy, Buffer.from("{}"))).toBe(signBytes(SPEC_KEY, Buffer.from("{}")));
  });
});

describe("JSON signing: spec vectors", () => {
  // Source: matrix-org/matrix-spec content/appendices.md §Cryptographic Test Vectors, "JSON Signing"
  // (also gomatrixserverlib signing_test.go TestSignJSONTestVectors).
  it("signs {}", () => {
    expect(encodeCanonicalJson(signJson({}, "domain", SPEC_KEY))).toBe(
      '{"signatures":{"domain":{"ed25519:1":"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"}}}',
    );
  });

  it('signs {"one":1,"two":"Two"}', () => {
    expect(signJson({ one: 1, two: "Two" }, "domain", SPEC_KEY)).toEqual({
      one: 1,
      signatures: {
        domain: {
          "ed25519:1":
            "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
        },
      },
      two: "Two",
    });
  });

  // Source: matrix-org/gomatrixserverlib signing_test.go TestVerifyJSON.
  const good = `{"signatures":{"domain":{"ed25519:1":"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"}}}`;
  it("verifies the spec signature of {}", () => {
    expect(verifyJsonSignature(obj(good), "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
  });

  it.each([
    [
      "the json is modified",
      `{"a new key":"a new value","signatures":{"domain":{"ed25519:1":"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"}}}`,
    ],
    [
      "the signature is modified",
      `{"a new key":"a new value","signatures":{"domain":{"ed25519:1":"modifiedSSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"}}}`,
    ],
    ["there are no signatures", `{}`],
    ["there are no signatures", `{"signatures": {}}`],
    ["there are not signatures for domain", `{"signatures": {"domain": {}}}`],
    [
      "the signature has the wrong key_id",
      `{"signatures":{"domain":{"ed25519:2":"KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"}}}`,
    ],
    [
      "the signature is too short for ed25519",
      `{"signatures": {"domain": {"ed25519:1":"not/a/valid/signature"}}}`,
    ],
    [
      "the signature has base64 padding that it shouldn't have",
      `{"signatures":{"domain":{"ed25519:1":"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ=="}}}`,
    ],
  ])("fails when %s", (_reason, text) => {
    expect(verifyJsonSignature(obj(text), "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
  });

  it("fails for other malformed input without throwing", () => {
    const signed = obj(good);
    expect(verifyJsonSignature(signed, "other", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    expect(verifyJsonSignature(signed, "domain", "ed25519:2", SPEC_PUBLIC_KEY)).toBe(false);
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", RUMA_PUBLIC_KEY)).toBe(false);
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", "not base64!")).toBe(false);
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", "Zm9v")).toBe(false);
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", "")).toBe(false);
    const urlSafeSig = obj(good.replace(/\//g, "_"));
    expect(verifyJsonSignature(urlSafeSig, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    expect(verifyJsonSignature([] as JsonValue, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    expect(verifyJsonSignature("x", "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    expect(verifyJsonSignature({ signatures: [] }, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    expect(verifyJsonSignature({ signatures: { domain: [] } }, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(
      false,
    );
    expect(
      verifyJsonSignature(
        { signatures: { domain: { "ed25519:1": 5 } } },
        "domain",
        "ed25519:1",
        SPEC_PUBLIC_KEY,
      ),
    ).toBe(false);
    // A lone surrogate makes the object unencodable: still just false.
    const bad = { ...signed, x: "\ud800" };
    expect(verifyJsonSignature(bad, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    // `signatures` inherited from a prototype is not the object's own.
    expect(verifyJsonSignature({}, "toString", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
  });

  it("accepts a padded public key (keys are decoded leniently; only signatures are strict)", () => {
    expect(verifyJsonSignature(obj(good), "domain", "ed25519:1", SPEC_PUBLIC_KEY + "=")).toBe(true);
  });
});

describe("JSON signing: a second key (ruma)", () => {
  // Source: ruma/ruma crates/ruma-signatures/src/lib.rs tests sign_empty_json, sign_minimal_json,
  // verify_empty_json, verify_minimal_json, fail_verify_json.
  it("signs {}", () => {
    expect(encodeCanonicalJson(signJson({}, "domain", RUMA_KEY))).toBe(
      '{"signatures":{"domain":{"ed25519:1":"lXjsnvhVlz8t3etR+6AEJ0IT70WujeHC1CFjDDsVx0xSig1Bx7lvoi1x3j/2/GPNjQM4a2gD34UqsXFluaQEBA"}}}',
    );
  });

  it("signs the minimal object in either key order", () => {
    const expected =
      '{"one":1,"signatures":{"domain":{"ed25519:1":"t6Ehmh6XTDz7qNWI0QI5tNPSliWLPQP/+Fzz3LpdCS7q1k2G2/5b5Embs2j4uG3ZeivejrzqSVoBcdocRpa+AQ"}},"two":"Two"}';
    expect(encodeCanonicalJson(signJson(obj('{ "one": 1, "two": "Two" }'), "domain", RUMA_KEY))).toBe(
      expected,
    );
    expect(encodeCanonicalJson(signJson(obj('{ "two": "Two", "one": 1 }'), "domain", RUMA_KEY))).toBe(
      expected,
    );
  });

  it("verifies ruma's signatures, whatever the key order of the input", () => {
    const sig = "t6Ehmh6XTDz7qNWI0QI5tNPSliWLPQP/+Fzz3LpdCS7q1k2G2/5b5Embs2j4uG3ZeivejrzqSVoBcdocRpa+AQ";
    const a = obj(`{"one":1,"signatures":{"domain":{"ed25519:1":"${sig}"}},"two":"Two"}`);
    const b = obj(`{"two":"Two","signatures":{"domain":{"ed25519:1":"${sig}"}},"one":1}`);
    expect(verifyJsonSignature(a, "domain", "ed25519:1", RUMA_PUBLIC_KEY)).toBe(true);
    expect(verifyJsonSignature(b, "domain", "ed25519:1", RUMA_PUBLIC_KEY)).toBe(true);
    const empty = obj(
      '{"signatures":{"domain":{"ed25519:1":"lXjsnvhVlz8t3etR+6AEJ0IT70WujeHC1CFjDDsVx0xSig1Bx7lvoi1x3j/2/GPNjQM4a2gD34UqsXFluaQEBA"}}}',
    );
    expect(verifyJsonSignature(empty, "domain", "ed25519:1", RUMA_PUBLIC_KEY)).toBe(true);
  });

  it("fails when the server entry is not an object", () => {
    const v = obj(
      '{"not":"empty","signatures":{"domain":"lXjsnvhVlz8t3etR+6AEJ0IT70WujeHC1CFjDDsVx0xSig1Bx7lvoi1x3j/2/GPNjQM4a2gD34UqsXFluaQEBA"}}',
    );
    expect(verifyJsonSignature(v, "domain", "ed25519:1", RUMA_PUBLIC_KEY)).toBe(false);
  });
});

describe("JSON signing: behaviour", () => {
  it("keeps other servers' signatures and unsigned, and ignores both when signing", () => {
    const input: JsonObject = {
      a: 1,
      unsigned: { age: 5 },
      signatures: { "other.example": { "ed25519:x": "abc" }, domain: { "ed25519:0": "old" } },
    };
    const signed = signJson(input, "domain", SPEC_KEY);
    expect(signed.unsigned).toEqual({ age: 5 });
    expect(signed.signatures).toEqual({
      "other.example": { "ed25519:x": "abc" },
      domain: { "ed25519:0": "old", "ed25519:1": signBytes(SPEC_KEY, Buffer.from('{"a":1}')) },
    });
    expect(input.signatures).toEqual({
      "other.example": { "ed25519:x": "abc" },
      domain: { "ed25519:0": "old" },
    });
    // unsigned may change in transit (gomatrixserverlib signing_test.go TestSignJSONWithUnsigned).
    const changed = { ...signed, unsigned: { different: "data" } };
    expect(verifyJsonSignature(changed, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    const noUnsigned: JsonObject = { ...signed };
    delete noUnsigned.unsigned;
    expect(verifyJsonSignature(noUnsigned, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
  });

  it("round-trips with a gomatrixserverlib-style arbitrary key (signing_test.go TestSignJSON)", () => {
    const key = signingKeyFromSeed("ed25519:my_key_id", Buffer.from("Some 32 randomly generated bytes"));
    const signed = signJson(obj('{"this":"is","my":"message"}'), "example.com", key);
    expect(verifyJsonSignature(signed, "example.com", "ed25519:my_key_id", key.publicKey)).toBe(true);
  });

  it("verifies a real /_matrix/key/v2/server response", () => {
    // Source: matrix-org/gomatrixserverlib keyring_test.go `testKeys` ("taken from a copy of synapse").
    const response = obj(`{
      "old_verify_keys": {"ed25519:old": {"expired_ts": 929059200, "key": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"}},
      "server_name": "localhost:8800",
      "signatures": {"localhost:8800": {"ed25519:a_Obwu": "xkr4Z49ODoQnRi//ePfXlt8Q68vzd+DkzBNCt60NcwnLjNREx0qVQrw1iTFSoxkgGtz30NDkmyffDrCrmX5KBw"}},
      "tls_fingerprints": [{"sha256": "I2ohBnqpb5m3HldWFwyA10WdjqDksukiKVUdZ690WzM"}],
      "valid_until_ts": 1493142432964,
      "verify_keys": {"ed25519:a_Obwu": {"key": "2UwTWD4+tgTgENV7znGGNqhAOGY+BW1mRAnC6W6FBQg"}}
    }`);
    const key = "2UwTWD4+tgTgENV7znGGNqhAOGY+BW1mRAnC6W6FBQg";
    expect(verifyJsonSignature(response, "localhost:8800", "ed25519:a_Obwu", key)).toBe(true);
    expect(
      verifyJsonSignature(
        { ...response, valid_until_ts: 1493142432965 },
        "localhost:8800",
        "ed25519:a_Obwu",
        key,
      ),
    ).toBe(false);
  });

  it("signs v1–v5 content with floats only in non-strict mode; verifies it unless asked to be strict", () => {
    const withFloat = obj('{"a":1.5}');
    expect(() => signJson(withFloat, "domain", SPEC_KEY)).toThrow();
    const signed = signJson(withFloat, "domain", SPEC_KEY, { strict: false });
    // Verification is lenient by default (X-Matrix bodies may carry v1–v5 events), strict on request.
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    expect(verifyJsonSignature(signed, "domain", "ed25519:1", SPEC_PUBLIC_KEY, { strict: true })).toBe(false);
  });
});

const jsonish: fc.Arbitrary<JsonObject> = fc.dictionary(
  fc.string({ maxLength: 6 }),
  fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null)),
  { minKeys: 1, maxKeys: 6 },
);

describe("JSON signing: properties and cross-implementation", () => {
  it("fails on any one-byte change of the signed bytes", () => {
    fc.assert(
      fc.property(jsonish, fc.nat(), fc.integer({ min: 1, max: 255 }), (o, at, flip) => {
        const message = signingBytes(o);
        const sig = signBytes(SPEC_KEY, message);
        expect(verifySignatureBytes(message, sig, SPEC_PUBLIC_KEY)).toBe(true);
        const tampered = Buffer.from(message);
        const i = at % tampered.length;
        tampered[i] = (tampered[i] as number) ^ flip;
        expect(verifySignatureBytes(tampered, sig, SPEC_PUBLIC_KEY)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("fails when any value of the signed object changes", () => {
    fc.assert(
      fc.property(jsonish, fc.nat(), (o, pick) => {
        const signed = signJson(o, "domain", SPEC_KEY);
        const keys = Object.keys(o);
        const key = keys[pick % keys.length] as string;
        const tampered = { ...signed, [key]: JSON.stringify(o[key] ?? null) + "!" };
        expect(verifyJsonSignature(tampered, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("node:crypto signatures verify with tweetnacl, and the reverse", () => {
    const secret = nacl.sign.keyPair.fromSeed(SPEC_SEED).secretKey;
    const publicKey = decodeBase64(SPEC_PUBLIC_KEY);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (message) => {
        const ours = signBytes(SPEC_KEY, message);
        expect(nacl.sign.detached.verify(message, decodeBase64(ours), publicKey)).toBe(true);
        const theirs = encodeBase64(nacl.sign.detached(message, secret));
        // Ed25519 is deterministic, so both libraries produce the same bytes.
        expect(theirs).toBe(ours);
        expect(verifySignatureBytes(message, theirs, SPEC_PUBLIC_KEY)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("tweetnacl verifies our JSON signature over the canonical bytes", () => {
    const o = obj('{"b":[1,"日本"],"a":{"🐈":true,"\uFB01":null}}');
    const signed = signJson(o, "domain", RUMA_KEY);
    const sig = (signed.signatures as Record<string, Record<string, string>>).domain?.["ed25519:1"] as string;
    const message = Buffer.from(encodeCanonicalJson(o));
    expect(nacl.sign.detached.verify(message, decodeBase64(sig), decodeBase64(RUMA_PUBLIC_KEY))).toBe(true);
  });
});
