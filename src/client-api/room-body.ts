import { createHash } from "node:crypto";
import type { Context } from "hono";
import { CanonicalJsonError, encodeCanonicalJson, parseJsonBytes } from "../core/canonical-json.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { badJson, MatrixError, notJson } from "../errors.ts";
import { requestBytes } from "../http/request-body.ts";

/**
 * A body that becomes event content, read losslessly: `JSON.parse` would turn `1.0` into the integer 1
 * and let a float through into a v6+ room (where every other server rejects it); here it stays a
 * `RawNumber`, which the event format check refuses with M_BAD_JSON. An empty body is `{}` only where
 * the caller allows it (membership endpoints, which curl users and some clients call without one).
 */
export async function readContentBody(c: Context, opts: { allowEmpty?: boolean } = {}): Promise<JsonObject> {
  const bytes = await requestBytes(c);
  if (bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    if (opts.allowEmpty) return {};
    throw notJson("Request body is empty; expected a JSON object.");
  }
  let value;
  try {
    value = parseJsonBytes(bytes);
  } catch (e) {
    if (e instanceof CanonicalJsonError) throw new MatrixError(400, e.errcode, e.message);
    throw e;
  }
  if (!isJsonObject(value)) throw badJson("Request body must be a JSON object.");
  return value;
}

/** SHA-256 of the body's canonical form: a retransmission matches however the client spaced it. */
export function requestHash(body: JsonObject): Buffer {
  return createHash("sha256")
    .update(encodeCanonicalJson(body, { strict: false }))
    .digest();
}
