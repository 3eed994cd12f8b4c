/**
 * A lossless JSON parser for Matrix. `JSON.parse` cannot be used on federation input: it rounds
 * integers beyond 2^53 and forgets how a float was spelt ("1.0" vs "1"), and room v1–v5 events are
 * hashed and signed over the sender's own spelling. So numbers come back as JS numbers only when they
 * are plain integer tokens within ±(2^53−1); every other number token (fraction, exponent, too big)
 * comes back as a `RawNumber` carrying the token verbatim, which strict encoding then rejects and
 * non-strict encoding re-emits unchanged.
 *
 * Choices, with reasons:
 * - `1e10`, `1.0` are RawNumbers, not integers: Synapse (Python floats), gomatrixserverlib and ruma all
 *   treat them as floats and reject them in room v6+, so accepting them would split the room.
 * - `-0` parses as 0 (Synapse reads it as the int 0; the spec's canonical example writes it as 0).
 * - Duplicate keys: the last one wins, as in Python's json, Go's encoding/json and serde_json, so every
 *   server derives the same canonical bytes from the same text. Rejecting would drop events that the
 *   rest of the federation accepts.
 * - Lone surrogates (raw or as \u escapes) are rejected: they have no UTF-8 form, so such a string
 *   can never be hashed consistently.
 * - A key named `__proto__` becomes an ordinary own property, never the object's prototype.
 */
import { RawNumber, type JsonObject, type JsonValue } from "./json.ts";
import { CanonicalJsonError } from "./json-error.ts";

const MAX_DEPTH = 512;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses JSON text. Throws `CanonicalJsonError` (`M_NOT_JSON` for syntax, `M_BAD_JSON` otherwise). */
export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  p.skipWs();
  const value = p.parseValue(0);
  p.skipWs();
  if (p.pos !== text.length) p.fail("Unexpected data after the JSON value");
  return value;
}

/** Parses UTF-8 bytes (an HTTP body); invalid UTF-8 is `M_NOT_JSON` rather than U+FFFD. */
export function parseJsonBytes(bytes: Uint8Array): JsonValue {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new CanonicalJsonError("Body is not valid UTF-8", "M_NOT_JSON");
  }
  return parseJson(text);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string, errcode: "M_NOT_JSON" | "M_BAD_JSON" = "M_NOT_JSON"): never {
    throw new CanonicalJsonError(`${message} at offset ${this.pos}`, errcode);
  }

  skipWs(): void {
    const t = this.text;
    let i = this.pos;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  parseValue(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.parseObject(depth);
      case 0x5b: // [
        return this.parseArray(depth);
      case 0x22: // "
        return this.parseString();
      case 0x74: // t
        return this.literal("true", true);
      case 0x66: // f
        return this.literal("false", false);
      case 0x6e: // n
        return this.literal("null", null);
      default:
        if (c === 0x2d || isDigit(c)) return this.parseNumber();
        return this.fail(Number.isNaN(c) ? "Unexpected end of JSON" : "Unexpected character");
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail("Invalid literal");
    this.pos += word.length;
    return value;
  }

  private parseObject(depth: number): JsonObject {
    if (depth >= MAX_DEPTH) this.fail("JSON nested too deeply", "M_BAD_JSON");
    const t = this.text;
    const obj: JsonObject = {};
    this.pos++;
    this.skipWs();
    if (t.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return obj;
    }
    for (;;) {
      if (t.charCodeAt(this.pos) !== 0x22) this.fail("Expected a string key");
      const key = this.parseString();
      this.skipWs();
      if (t.charCodeAt(this.pos) !== 0x3a) this.fail("Expected ':'");
      this.pos++;
      this.skipWs();
      const value = this.parseValue(depth + 1);
      if (key === "__proto__") {
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        obj[key] = value;
      }
      this.skipWs();
      const c = t.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) return obj;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("Expected ',' or '}'");
      }
      this.skipWs();
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth >= MAX_DEPTH) this.fail("JSON nested too deeply", "M_BAD_JSON");
    const t = this.text;
    const arr: JsonValue[] = [];
    this.pos++;
    this.skipWs();
    if (t.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.parseValue(depth + 1));
      this.skipWs();
      const c = t.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d) return arr;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("Expected ',' or ']'");
      }
      this.skipWs();
    }
  }

  private parseString(): string {
    const t = this.text;
    let i = this.pos + 1;
    let start = i;
    let out = "";
    for (;;) {
      if (i >= t.length) {
        this.pos = i;
        this.fail("Unterminated string");
      }
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return out + t.slice(start, i);
      }
      if (c === 0x5c) {
        out += t.slice(start, i);
        this.pos = i;
        const [decoded, next] = this.parseEscape(i + 1);
        out += decoded;
        i = next;
        start = i;
      } else if (c < 0x20) {
        this.pos = i;
        this.fail("Unescaped control character in string");
      } else if (c >= 0xd800 && c <= 0xdfff) {
        // Raw surrogates can only reach us through a JS string; only well-formed pairs are text.
        const d = t.charCodeAt(i + 1);
        if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) {
          this.pos = i;
          this.fail("Lone UTF-16 surrogate in string", "M_BAD_JSON");
        }
        i += 2;
      } else {
        i++;
      }
    }
  }

  /** Decodes the escape whose letter is at `i`; returns the text and the index after it. */
  private parseEscape(i: number): [string, number] {
    const t = this.text;
    switch (t.charCodeAt(i)) {
      case 0x22:
        return ['"', i + 1];
      case 0x5c:
        return ["\\", i + 1];
      case 0x2f:
        return ["/", i + 1];
      case 0x62:
        return ["\b", i + 1];
      case 0x66:
        return ["\f", i + 1];
      case 0x6e:
        return ["\n", i + 1];
      case 0x72:
        return ["\r", i + 1];
      case 0x74:
        return ["\t", i + 1];
      case 0x75: {
        const hi = this.hex4(i + 1);
        if (hi < 0xd800 || hi > 0xdfff) return [String.fromCharCode(hi), i + 5];
        // A high surrogate must be followed by an escaped low surrogate, and nothing else.
        if (hi <= 0xdbff && t.charCodeAt(i + 5) === 0x5c && t.charCodeAt(i + 6) === 0x75) {
          const lo = this.hex4(i + 7);
          if (lo >= 0xdc00 && lo <= 0xdfff) return [String.fromCharCode(hi, lo), i + 11];
        }
        return this.fail("Lone UTF-16 surrogate escape in string", "M_BAD_JSON");
      }
      default:
        return this.fail("Invalid escape in string");
    }
  }

  private hex4(i: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const h = hexValue(this.text.charCodeAt(i + k));
      if (h < 0) this.fail("Invalid \\u escape");
      v = v * 16 + h;
    }
    return v;
  }

  private parseNumber(): number | RawNumber {
    const t = this.text;
    const start = this.pos;
    let i = start;
    if (t.charCodeAt(i) === 0x2d) i++;
    const first = t.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) while (isDigit(t.charCodeAt(i))) i++;
    else this.fail("Invalid number");
    let plain = true;
    if (t.charCodeAt(i) === 0x2e) {
      plain = false;
      i++;
      if (!isDigit(t.charCodeAt(i))) this.fail("Invalid number fraction");
      while (isDigit(t.charCodeAt(i))) i++;
    }
    const e = t.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      plain = false;
      i++;
      const sign = t.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(t.charCodeAt(i))) this.fail("Invalid number exponent");
      while (isDigit(t.charCodeAt(i))) i++;
    }
    this.pos = i;
    const token = t.slice(start, i);
    if (plain) {
      const n = Number(token);
      if (Number.isSafeInteger(n)) return n === 0 ? 0 : n;
    }
    return new RawNumber(token);
  }
}
