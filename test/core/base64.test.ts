import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Base64Error,
  decodeBase64,
  decodeBase64Unpadded,
  decodeBase64Url,
  decodeBase64UrlUnpadded,
  encodeBase64,
  encodeBase64Url,
  tryDecodeBase64,
} from "../../src/core/base64.ts";

describe("unpadded base64", () => {
  // Source: matrix-org/matrix-spec content/appendices.md §Unpadded Base64 (RFC 4648 §10 without padding).
  const vectors: Array<[string, string]> = [
    ["", ""],
    ["f", "Zg"],
    ["fo", "Zm8"],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg"],
    ["fooba", "Zm9vYmE"],
    ["foobar", "Zm9vYmFy"],
  ];
  it.each(vectors)("UNPADDED_BASE64(%j) = %j", (plain, encoded) => {
    expect(encodeBase64(Buffer.from(plain))).toBe(encoded);
    expect(encodeBase64Url(Buffer.from(plain))).toBe(encoded);
    expect(decodeBase64(encoded).toString()).toBe(plain);
    expect(decodeBase64Unpadded(encoded).toString()).toBe(plain);
    expect(decodeBase64Url(encoded).toString()).toBe(plain);
  });

  it("accepts the padded forms when decoding (the spec says decoders SHOULD)", () => {
    expect(decodeBase64("Zg==").toString()).toBe("f");
    expect(decodeBase64("Zm8=").toString()).toBe("fo");
    expect(decodeBase64Url("Zm9vYmE=").toString()).toBe("fooba");
  });

  it("uses the two alphabets for bytes 62 and 63", () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    expect(encodeBase64(bytes)).toBe("+/+/");
    expect(encodeBase64Url(bytes)).toBe("-_-_");
    expect(decodeBase64("+/+/")).toEqual(Buffer.from(bytes));
    expect(decodeBase64Url("-_-_")).toEqual(Buffer.from(bytes));
    expect(() => decodeBase64("-_-_")).toThrow(Base64Error);
    expect(() => decodeBase64Url("+/+/")).toThrow(Base64Error);
  });

  it("encodes a subarray view, not its whole buffer", () => {
    const whole = Buffer.from("xxfooxx");
    expect(encodeBase64(new Uint8Array(whole.buffer, whole.byteOffset + 2, 3))).toBe("Zm9v");
  });

  it("decodes the spec's signing seed, whose trailing bits are not zero", () => {
    // Source: matrix-org/matrix-spec content/appendices.md §Cryptographic Test Vectors (SIGNING_KEY_SEED).
    expect(decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")).toHaveLength(32);
  });

  it.each([
    ["Z", "impossible length"],
    ["Zm9vY", "impossible length"],
    ["Zg=", "short padding"],
    ["Zg===", "long padding"],
    ["Zm9v=", "padding where none belongs"],
    ["Zm8==", "too much padding"],
    ["Zg==Zg==", "padding in the middle"],
    ["Zm 9v", "whitespace"],
    ["Zm9v\n", "newline"],
    ["Zm9v!", "junk"],
    ["not/a/valid/signature!", "junk"],
  ])("rejects %j (%s)", (s) => {
    expect(() => decodeBase64(s)).toThrow(Base64Error);
    expect(tryDecodeBase64(s)).toBeUndefined();
  });

  it("strict unpadded decoders refuse padding", () => {
    expect(() => decodeBase64Unpadded("Zg==")).toThrow(Base64Error);
    expect(() => decodeBase64UrlUnpadded("Zg==")).toThrow(Base64Error);
    expect(tryDecodeBase64("Zg==", { padding: false })).toBeUndefined();
    expect(tryDecodeBase64("Zg", { padding: false })?.toString()).toBe("f");
  });

  it("round-trips any bytes in both alphabets", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const std = encodeBase64(bytes);
        const url = encodeBase64Url(bytes);
        expect(std).not.toContain("=");
        expect(url).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(decodeBase64Unpadded(std)).toEqual(Buffer.from(bytes));
        expect(decodeBase64UrlUnpadded(url)).toEqual(Buffer.from(bytes));
        expect(std).toBe(Buffer.from(bytes).toString("base64").replace(/=+$/, ""));
      }),
    );
  });
});
