/**
 * Matrix canonical JSON (spec appendices §Canonical JSON): no insignificant whitespace, object keys
 * sorted by Unicode code point, strings as raw UTF-8 with only the escapes the spec grammar allows,
 * and (strict mode, room v6+) only integers within ±(2^53−1).
 *
 * Every hash and signature in Matrix is taken over these bytes, so one wrong byte here means no other
 * server accepts our events. RFC 8785 (`canonicalize`) is NOT the same thing: it sorts by UTF-16 code
 * units and formats floats; it is only used as a test oracle where the two agree.
 */
import { RawNumber, type JsonObject, type JsonValue } from "./json.ts";
import { CanonicalJsonError } from "./json-error.ts";

export { CanonicalJsonError } from "./json-error.ts";

declare global {
  // ES2024 (Node 20 has it); the project's lib setting is ES2023.
  interface String {
    isWellFormed(): boolean;
  }
}
export { parseJson, parseJsonBytes } from "./json-parse.ts";

export interface CanonicalJsonOptions {
  /**
   * Room v6+ rules (the default): every number must be an integer in ±(2^53−1). Non-strict mode is for
   * events of room v1–v5, which may carry floats and big integers; those are emitted exactly as the
   * sender spelt them (`RawNumber.raw`), because the sender hashed and signed its own spelling.
   */
  strict?: boolean;
}

// Nesting deeper than this is not a real event; refusing it keeps recursion off the stack limit.
const MAX_DEPTH = 512;
const PLAIN_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

export function encodeCanonicalJson(value: JsonValue, opts?: CanonicalJsonOptions): string {
  return encodeValue(value, opts?.strict ?? true, 0);
}

/** The canonical form as UTF-8 bytes, ready to hash or sign. */
export function encodeCanonicalJsonBytes(value: JsonValue, opts?: CanonicalJsonOptions): Buffer {
  return Buffer.from(encodeCanonicalJson(value, opts), "utf8");
}

/**
 * Orders strings by Unicode code point. JS `<` compares UTF-16 code units, which puts astral
 * characters (surrogate pairs, 0xD800–0xDFFF) before U+E000–U+FFFF; the spec wants them after.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Lift surrogates above the rest of the BMP's top range; order within each range is kept.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

function encodeValue(value: JsonValue, strict: boolean, depth: number): string {
  switch (typeof value) {
    case "string":
      return encodeString(value);
    case "number":
      return encodeNumber(value, strict);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      if (depth >= MAX_DEPTH) throw new CanonicalJsonError("JSON nested too deeply");
      if (Array.isArray(value)) return encodeArray(value, strict, depth);
      if (value instanceof RawNumber) return encodeRawNumber(value, strict);
      return encodeObject(value, strict, depth);
    default:
      throw new CanonicalJsonError(`Cannot encode a ${typeof value} as JSON`);
  }
}

// Characters that need an escape, plus surrogate halves (paired or not): strings free of them, which
// is nearly all of them, are copied as they are.
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const NEEDS_CARE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function encodeString(s: string): string {
  if (!NEEDS_CARE.test(s)) return '"' + s + '"';
  // JSON.stringify already escapes exactly as the spec grammar does (\b \t \n \f \r \" \\, other
  // controls as lower-case \u00xx, U+007F and U+2028/2029 raw), except that it would write a lone
  // surrogate as \udxxx, which has no UTF-8 encoding: Python errors on it and Go drops it. Refuse.
  if (!s.isWellFormed()) throw new CanonicalJsonError("String contains a lone UTF-16 surrogate");
  return JSON.stringify(s);
}

function encodeNumber(n: number, strict: boolean): string {
  if (Number.isSafeInteger(n)) return n === 0 ? "0" : String(n); // -0 is written as 0
  if (!Number.isFinite(n)) throw new CanonicalJsonError("NaN and Infinity are not JSON");
  if (strict) {
    throw new CanonicalJsonError(
      Number.isInteger(n) ? `Integer ${n} is outside ±(2^53−1)` : `Float ${n} is not allowed`,
    );
  }
  return String(n);
}

function encodeRawNumber(n: RawNumber, strict: boolean): string {
  const raw = n.raw;
  if (strict) {
    // A RawNumber spelling a safe integer can still be written canonically; anything else cannot.
    if (PLAIN_INTEGER.test(raw)) {
      const v = Number(raw);
      if (Number.isSafeInteger(v)) return v === 0 ? "0" : String(v);
      throw new CanonicalJsonError(`Integer ${raw} is outside ±(2^53−1)`);
    }
    throw new CanonicalJsonError(`Float ${raw} is not allowed`);
  }
  // Never let a malformed token through into bytes we hash or send.
  if (!JSON_NUMBER.test(raw)) throw new CanonicalJsonError(`Not a JSON number: ${raw}`);
  return raw;
}

function encodeArray(arr: readonly JsonValue[], strict: boolean, depth: number): string {
  if (arr.length === 0) return "[]";
  let out = "[";
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    // JSON.stringify would write a hole or undefined as null; a canonical encoder must not guess.
    if (item === undefined) throw new CanonicalJsonError("Array contains undefined");
    if (i > 0) out += ",";
    out += encodeValue(item, strict, depth + 1);
  }
  return out + "]";
}

function encodeObject(obj: JsonObject, strict: boolean, depth: number): string {
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    // Buffers, Dates, Maps… are bugs upstream, not JSON objects.
    throw new CanonicalJsonError("Cannot encode a non-plain object as JSON");
  }
  const keys = Object.keys(obj).sort(compareCodePoints);
  let out = "{";
  let first = true;
  for (const key of keys) {
    const v = obj[key];
    // Skipped like JSON.stringify does, so the bytes we hash match the bytes we would send.
    if (v === undefined) continue;
    if (!first) out += ",";
    first = false;
    out += encodeString(key);
    out += ":";
    out += encodeValue(v, strict, depth + 1);
  }
  return out + "}";
}
