import type { Context } from "hono";
import { encodeCanonicalJson } from "../core/canonical-json.ts";
import type { JsonValue } from "../core/json.ts";

/**
 * A JSON response that keeps numbers exactly as stored: PDUs of room versions 1–5 may hold floats or
 * big integers (RawNumber) that signatures cover in the sender's spelling, which JSON.stringify would
 * change. Canonical JSON, non-strict, is also what other servers hash and check.
 */
export function federationJson(c: Context, value: JsonValue, status: 200 = 200): Response {
  return c.body(encodeCanonicalJson(value, { strict: false }), status, {
    "Content-Type": "application/json",
  });
}
