import { describe, expect, it } from "vitest";
import {
  CanonicalJsonError,
  compareCodePoints,
  encodeCanonicalJson,
  encodeCanonicalJsonBytes,
  parseJson,
  parseJsonBytes,
} from "../../src/core/canonical-json.ts";
import { RawNumber, type JsonValue } from "../../src/core/json.ts";

/** parse → canonical, the way a received body is re-encoded. */
function canon(text: string, strict = true): string {
  return encodeCanonicalJson(parseJson(text), { strict });
}

function errcodeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof CanonicalJsonError) return e.errcode;
    throw e;
  }
  return undefined;
}

describe("canonical JSON: spec examples", () => {
  // Source: matrix-org/matrix-spec content/appendices.md §Canonical JSON, "Examples".
  const cases: Array<[string, string]> = [
    ["{}", "{}"],
    ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
    ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
    ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
    [
      `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    ],
    ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
    ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
    ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
    ['{\n    "a": null\n}', '{"a":null}'],
  ];
  it.each(cases)("%s", (input, expected) => {
    expect(canon(input)).toBe(expected);
  });

  it("writes -0 as 0 and the integer 1e10 without an exponent", () => {
    // Spec example `{"a": -0, "b": 1e10}` → `{"a":0,"b":10000000000}`, at the value level: on the wire
    // Hearth reads the token `1e10` as a float, like Synapse/gomatrixserverlib/ruma (see below).
    expect(encodeCanonicalJson({ a: -0, b: 1e10 })).toBe('{"a":0,"b":10000000000}');
    expect(canon('{"a": -0}')).toBe('{"a":0}');
  });
});

describe("canonical JSON: key order is by code point", () => {
  it("sorts an astral key after U+FB01 (spec notes C.6; JS default sort gets this wrong)", () => {
    const out = encodeCanonicalJsonBytes({ "\uFB01": 1, "🐈": 2 });
    expect(out.toString("hex")).toBe("7b22efac81223a312c22f09f9088223a327d");
    expect(Object.keys({ "\uFB01": 1, "🐈": 2 }).sort()).toEqual(["🐈", "\uFB01"]);
  });

  it("compareCodePoints agrees with UTF-8 byte order", () => {
    const words = ["", "a", "ab", "b", "\u007f", "\u0080", "\ud7ff", "\ue000", "\uffff", "𐀀", "🐈", "\uFB01"];
    for (const x of words) {
      for (const y of words) {
        const expected = Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y)));
        expect(Math.sign(compareCodePoints(x, y))).toBe(expected);
      }
    }
  });
});

describe("canonical JSON: string escapes", () => {
  // Source: matrix-org/python-canonicaljson tests/test_canonicaljson.py (test_encode_canonical, test_ascii).
  it("escapes control characters, quotes and backslashes only", () => {
    expect(encodeCanonicalJson("text\u0003\r\n")).toBe('"text\\u0003\\r\\n"');
    expect(encodeCanonicalJson('"\\ test')).toBe('"\\"\\\\ test"');
    expect(encodeCanonicalJson("\\u1234")).toBe('"\\\\u1234"');
  });

  it("writes non-ASCII, U+2028 and U+2029 as raw UTF-8", () => {
    expect(encodeCanonicalJsonBytes({ "la merde amusée": "💩" })).toEqual(
      Buffer.from('{"la merde amus\xc3\xa9e":"\xF0\x9F\x92\xA9"}', "latin1"),
    );
    expect(encodeCanonicalJsonBytes({ spaces: "\u2028 \u2029" })).toEqual(
      Buffer.from('{"spaces":"\xe2\x80\xa8 \xe2\x80\xa9"}', "latin1"),
    );
  });

  it("follows the ASCII table: short escapes, lower-case \\u00xx, everything else raw", () => {
    const short: Record<number, string> = {
      0x08: '"\\b"',
      0x09: '"\\t"',
      0x0a: '"\\n"',
      0x0c: '"\\f"',
      0x0d: '"\\r"',
      0x22: '"\\""',
      0x5c: '"\\\\"',
    };
    for (let c = 0; c < 0x80; c++) {
      const s = String.fromCharCode(c);
      const expected = short[c] ?? (c < 0x20 ? `"\\u00${c.toString(16).padStart(2, "0")}"` : `"${s}"`); // 0x7f stays raw
      expect(encodeCanonicalJson(s)).toBe(expected);
    }
  });

  // Source: matrix-org/gomatrixserverlib json_test.go TestCompactJSON (parse then re-encode).
  it.each([
    [
      '["\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"]',
      '["\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"]',
    ],
    [
      '["\\u0008\\u0009\\u000A\\u000B\\u000C\\u000D\\u000E\\u000F"]',
      '["\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"]',
    ],
    [
      '["\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"]',
      '["\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"]',
    ],
    [
      '["\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F"]',
      '["\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"]',
    ],
    ['["\\u0061\\u005C\\u0042\\u0022"]', '["a\\\\B\\""]'],
    ['["\\u0120"]', '["\u0120"]'],
    ['["\\u0FFF"]', '["\u0FFF"]'],
    ['["\\u0FFf"]', '["\u0FFF"]'],
    ['["\\u1820"]', '["\u1820"]'],
    ['["\\uFFFF"]', '["\uFFFF"]'],
    ['["\\uD842\\uDC20"]', '["\u{20820}"]'],
    ['["\\uDBFF\\uDFFF"]', '["\u{10FFFF}"]'],
    ['["\\\\"]', '["\\\\"]'],
    ['["\\b"]', '["\\b"]'],
    ['["\\f"]', '["\\f"]'],
    ['["\\n"]', '["\\n"]'],
    ['["\\r"]', '["\\r"]'],
    ['["\\t"]', '["\\t"]'],
    ['"\\u000a"', '"\\n"'],
    ['"\\u000A"', '"\\n"'],
    ['"\\u0022"', '"\\""'],
    ['"\\u005c"', '"\\\\"'],
    ['["\\"\\\\\\/"]', '["\\"\\\\/"]'],
    ['["\\/"]', '["/"]'],
    ["{ }", "{}"],
  ])("%s", (input, expected) => {
    expect(canon(input)).toBe(expected);
  });

  it("rejects lone surrogates (gomatrixserverlib drops them, Python errors; we refuse)", () => {
    // gomatrixserverlib json_test.go turns `["\uDEAD"]` into `[""]`; Hearth refuses instead.
    expect(errcodeOf(() => parseJson('["\\uDEAD"]'))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => parseJson('["\\ud83d"]'))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => parseJson('["\\ud83d\\u0041"]'))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => parseJson('["\\udc08\\ud83d"]'))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => parseJson('["\ud83d"]'))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => encodeCanonicalJson("\udead"))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => encodeCanonicalJson({ "\ud800": 1 }))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => encodeCanonicalJson("a\udc00b"))).toBe("M_BAD_JSON");
  });
});

describe("canonical JSON: numbers", () => {
  // Source: matrix-org/gomatrixserverlib json_test.go TestJSONIntegerRanges / TestJSONFloats.
  it("accepts ±(2^53−1) in both modes", () => {
    const input = '{"foo": 9007199254740991, "bar": {"baz": 9007199254740991}}';
    expect(canon(input, true)).toBe('{"bar":{"baz":9007199254740991},"foo":9007199254740991}');
    expect(canon(input, false)).toBe('{"bar":{"baz":9007199254740991},"foo":9007199254740991}');
    expect(canon("-9007199254740991")).toBe("-9007199254740991");
  });

  it("keeps out-of-range integers verbatim for v1–v5 and rejects them in v6+", () => {
    const input =
      '{"foo": 9007199254740991, "bar": {"baz": 9007199254740991, "qux": {"another": [9007199254740998]}}}';
    expect(canon(input, false)).toBe(
      '{"bar":{"baz":9007199254740991,"qux":{"another":[9007199254740998]}},"foo":9007199254740991}',
    );
    expect(errcodeOf(() => canon(input, true))).toBe("M_BAD_JSON");
  });

  it("keeps floats verbatim for v1–v5 and rejects them in v6+", () => {
    expect(canon('{"foo": 1.1}', false)).toBe('{"foo":1.1}');
    expect(errcodeOf(() => canon('{"foo": 1.1}', true))).toBe("M_BAD_JSON");
    // The sender's spelling is what it hashed, so it is kept exactly.
    expect(canon("[1.0, 2.50, 1e5, 1E+5, -0.0]", false)).toBe("[1.0,2.50,1e5,1E+5,-0.0]");
  });

  // Source: matrix-org/gomatrixserverlib json_test.go TestVerifyCanonical (v11 enforcement).
  it.each([
    ['{"a":9007199254740992}', "number out of bounds upper"],
    ['{"a":-9007199254740992}', "number out of bounds lower"],
    ['{"a":1e5}', "exponential notation"],
    ['{"a":1.5}', "fraction"],
  ])("strict mode rejects %s (%s)", (input) => {
    expect(errcodeOf(() => canon(input, true))).toBe("M_BAD_JSON");
  });

  it("strict mode accepts gomatrixserverlib's canonical example unchanged", () => {
    const input =
      '{"1":9007199254740991,"2":0,"3":-9007199254740991,"4":[{"1":0,"2":0},{"1":0,"2":0}],"ñ":0}';
    expect(canon(input, true)).toBe(input);
  });

  it("reads -0 as 0 (Synapse does; gomatrixserverlib would refuse it in v11)", () => {
    expect(parseJson("-0")).toBe(0);
    expect(Object.is(parseJson("-0"), 0)).toBe(true);
  });

  // Source: matrix-org/gomatrixserverlib json_test.go TestCanonicalConversion.
  it.each([
    ['{"\\u00F1":0}', '{"ñ":0}'],
    ['{"\\ud83d\\udc08":0}', '{"🐈":0}'],
    ['{"a":-0}', '{"a":0}'],
    ['{"b":0,"a":1}', '{"a":1,"b":0}'],
    ['{"a":[{"b":0,"a":1},{"b":0,"a":1}]}', '{"a":[{"a":1,"b":0},{"a":1,"b":0}]}'],
    ['{"a": 0}', '{"a":0}'],
    [
      '{ "\\u00F1": -0, "2": 0, "1": 9007199254740991, "4": [{"2": 0, "1": 0},{"2": 0, "1": 0}] }',
      '{"1":9007199254740991,"2":0,"4":[{"1":0,"2":0},{"1":0,"2":0}],"ñ":0}',
    ],
  ])("%s", (input, expected) => {
    expect(canon(input)).toBe(expected);
  });

  it("handles JS numbers directly", () => {
    expect(encodeCanonicalJson([2 ** 53 - 1, -(2 ** 53 - 1), 0, -0])).toBe(
      "[9007199254740991,-9007199254740991,0,0]",
    );
    expect(errcodeOf(() => encodeCanonicalJson(2 ** 53))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => encodeCanonicalJson(-(2 ** 53)))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => encodeCanonicalJson(0.5))).toBe("M_BAD_JSON");
    expect(encodeCanonicalJson([0.5, 2 ** 53, 1e21], { strict: false })).toBe("[0.5,9007199254740992,1e+21]");
    // Python canonicaljson rejects inf/nan (test_invalid_float_values); so do we, in both modes.
    for (const n of [NaN, Infinity, -Infinity]) {
      expect(errcodeOf(() => encodeCanonicalJson(n, { strict: false }))).toBe("M_BAD_JSON");
    }
  });

  it("handles RawNumber values", () => {
    expect(encodeCanonicalJson(new RawNumber("12"))).toBe("12");
    expect(encodeCanonicalJson(new RawNumber("-0"))).toBe("0");
    expect(errcodeOf(() => encodeCanonicalJson(new RawNumber("1.5")))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => encodeCanonicalJson(new RawNumber("9007199254740992")))).toBe("M_BAD_JSON");
    expect(encodeCanonicalJson(new RawNumber("1.5"), { strict: false })).toBe("1.5");
    expect(errcodeOf(() => encodeCanonicalJson(new RawNumber("0x10"), { strict: false }))).toBe("M_BAD_JSON");
    expect(errcodeOf(() => encodeCanonicalJson(new RawNumber("NaN"), { strict: false }))).toBe("M_BAD_JSON");
  });
});

describe("canonical JSON: encoder guards", () => {
  it("defaults to strict", () => {
    expect(errcodeOf(() => encodeCanonicalJson(1.5))).toBe("M_BAD_JSON");
  });

  it("skips undefined object members like JSON.stringify, refuses undefined array items", () => {
    const obj = { a: 1, b: undefined } as unknown as JsonValue;
    expect(encodeCanonicalJson(obj)).toBe('{"a":1}');
    expect(errcodeOf(() => encodeCanonicalJson([1, undefined] as unknown as JsonValue))).toBe("M_BAD_JSON");
  });

  it("refuses non-JSON values", () => {
    for (const v of [new Date(0), Buffer.from("x"), new Map(), 1n, () => 1, Symbol("s")]) {
      expect(errcodeOf(() => encodeCanonicalJson(v as unknown as JsonValue))).toBe("M_BAD_JSON");
    }
  });

  it("accepts null-prototype objects", () => {
    const o = Object.create(null) as Record<string, JsonValue>;
    o.b = 1;
    o.a = 2;
    expect(encodeCanonicalJson(o)).toBe('{"a":2,"b":1}');
  });

  it("refuses absurd nesting", () => {
    let deep: JsonValue = [];
    for (let i = 0; i < 600; i++) deep = [deep];
    expect(errcodeOf(() => encodeCanonicalJson(deep))).toBe("M_BAD_JSON");
  });
});

describe("lossless parser", () => {
  it("returns safe integers as numbers and other number tokens as RawNumber", () => {
    expect(parseJson("[0, -5, 9007199254740991, -9007199254740991]")).toEqual([
      0, -5, 9007199254740991, -9007199254740991,
    ]);
    const raw = parseJson("[9007199254740992, 1.0, 1e10, 12345678901234567890]") as JsonValue[];
    expect(raw.map((r) => (r instanceof RawNumber ? r.raw : r))).toEqual([
      "9007199254740992",
      "1.0",
      "1e10",
      "12345678901234567890",
    ]);
  });

  it("reads scalars and whitespace", () => {
    expect(parseJson(' \t\r\n"x" ')).toBe("x");
    expect(parseJson("true")).toBe(true);
    expect(parseJson("false")).toBe(false);
    expect(parseJson("null")).toBe(null);
    expect(parseJson('{"a":[],"b":{},"c":[1,[2,{"d":null}]]}')).toEqual({
      a: [],
      b: {},
      c: [1, [2, { d: null }]],
    });
  });

  it("lets the last duplicate key win, as Python, Go and serde_json do", () => {
    expect(parseJson('{"a":1,"a":2}')).toEqual({ a: 2 });
    expect(canon('{"a":[{"a":0,"a":1}]}')).toBe('{"a":[{"a":1}]}');
  });

  it("keeps __proto__ as an ordinary key", () => {
    const v = parseJson('{"__proto__":{"polluted":true},"x":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__", "x"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(encodeCanonicalJson(v as JsonValue)).toBe('{"__proto__":{"polluted":true},"x":1}');
  });

  it.each([
    "",
    " ",
    "{",
    "[1,]",
    '{"a":1,}',
    "{a:1}",
    "{'a':1}",
    "01",
    "1.",
    ".5",
    "+1",
    "-",
    "1e",
    "NaN",
    "Infinity",
    "tru",
    "nul",
    '"abc',
    '"\\x"',
    '"\\u12G4"',
    '"a\nb"',
    '"\u0001"',
    "[1 2]",
    '{"a" 1}',
    "1 2",
    "/* c */ 1",
  ])("rejects %j as M_NOT_JSON", (text) => {
    expect(errcodeOf(() => parseJson(text))).toBe("M_NOT_JSON");
  });

  it("refuses absurd nesting", () => {
    expect(errcodeOf(() => parseJson("[".repeat(600) + "]".repeat(600)))).toBe("M_BAD_JSON");
    expect(parseJson("[".repeat(100) + "]".repeat(100))).toBeInstanceOf(Array);
  });

  it("parses UTF-8 bytes and refuses invalid UTF-8", () => {
    expect(parseJsonBytes(Buffer.from('{"a":"日本語"}'))).toEqual({ a: "日本語" });
    expect(errcodeOf(() => parseJsonBytes(Buffer.from([0x22, 0xff, 0x22])))).toBe("M_NOT_JSON");
    // CESU-style encoded surrogate: not UTF-8.
    expect(errcodeOf(() => parseJsonBytes(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])))).toBe("M_NOT_JSON");
  });
});
