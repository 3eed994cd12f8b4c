import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareCodePoints, encodeCanonicalJson, parseJson } from "../../src/core/canonical-json.ts";
import { RawNumber, type JsonValue } from "../../src/core/json.ts";

const safeInt = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
// Any Unicode scalar values (never a lone surrogate), so every string has a UTF-8 form.
const anyString = fc.string({ unit: "binary", maxLength: 12 });
const asciiString = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) });

function jsonOf(key: fc.Arbitrary<string>, str: fc.Arbitrary<string>): fc.Arbitrary<JsonValue> {
  return fc.letrec<{ value: JsonValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      safeInt,
      str,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(key, tie("value"), { maxKeys: 5 }),
    ),
  })).value;
}

const anyJson = jsonOf(anyString, anyString);

describe("canonical JSON properties", () => {
  it("round-trips: parse(encode(x)) equals x", () => {
    fc.assert(
      fc.property(anyJson, (x) => {
        expect(parseJson(encodeCanonicalJson(x))).toEqual(x);
      }),
    );
  });

  it("is a fixed point: encode(parse(encode(x))) === encode(x)", () => {
    fc.assert(
      fc.property(anyJson, (x) => {
        const once = encodeCanonicalJson(x);
        expect(encodeCanonicalJson(parseJson(once))).toBe(once);
      }),
    );
  });

  it("is JSON that JSON.parse reads back to the same value", () => {
    fc.assert(
      fc.property(anyJson, (x) => {
        expect(JSON.parse(encodeCanonicalJson(x))).toEqual(x);
      }),
    );
  });

  it("does not depend on key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(anyString, anyJson, { maxKeys: 8 }), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(encodeCanonicalJson(reversed)).toBe(encodeCanonicalJson(obj));
      }),
    );
  });

  it("emits keys in Unicode code point order (= UTF-8 byte order)", () => {
    fc.assert(
      fc.property(fc.dictionary(anyString, fc.constant(0), { maxKeys: 10 }), (obj) => {
        const byUtf8 = Object.keys(obj).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const expected = "{" + byUtf8.map((k) => JSON.stringify(k) + ":0").join(",") + "}";
        expect(encodeCanonicalJson(obj)).toBe(expected);
      }),
    );
  });

  it("strict mode refuses every non-integer and every integer beyond ±(2^53−1)", () => {
    const bad = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isSafeInteger(d)),
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }).map((b) => Number(b)),
    );
    fc.assert(
      fc.property(bad, (n) => {
        expect(() => encodeCanonicalJson({ n })).toThrow();
        expect(() => encodeCanonicalJson({ n }, { strict: false })).not.toThrow();
      }),
    );
  });

  it("non-strict mode gives back every number token as it was spelt (plain safe integers excepted)", () => {
    const digits = fc.stringMatching(/^[0-9]{1,25}$/);
    const token = fc
      .tuple(
        fc.boolean(),
        digits.map((d) => d.replace(/^0+(?=.)/, "")),
        fc.option(digits),
        fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits)),
      )
      .map(([neg, int, frac, exp]) => {
        let t = (neg ? "-" : "") + int;
        if (frac !== null) t += "." + frac;
        if (exp !== null) t += exp.join("");
        return t;
      });
    fc.assert(
      fc.property(token, (t) => {
        const parsed = parseJson(t);
        const out = encodeCanonicalJson(parsed, { strict: false });
        if (parsed instanceof RawNumber) expect(out).toBe(t);
        else expect(out).toBe(String(Number(t)));
        expect(Number(out) === Number(t)).toBe(true); // === so that -0 and 0 compare equal
      }),
    );
  });

  it("compareCodePoints orders like UTF-8 bytes", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(
          Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
        );
      }),
    );
  });

  it("matches RFC 8785 (canonicalize) where the two agree: ASCII keys, safe integers, no floats", () => {
    const common = jsonOf(asciiString, anyString);
    fc.assert(
      fc.property(common, (x) => {
        expect(encodeCanonicalJson(x)).toBe(canonicalize(x));
      }),
    );
  });

  it("differs from RFC 8785 on astral vs. U+E000–U+FFFF keys, which is why Hearth has its own", () => {
    const x = { "\uFB01": 1, "🐈": 2 };
    expect(encodeCanonicalJson(x)).toBe('{"ﬁ":1,"🐈":2}');
    expect(canonicalize(x)).toBe('{"🐈":2,"ﬁ":1}');
  });
});
