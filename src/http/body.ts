import type { Context } from "hono";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { badJson, notJson } from "../errors.ts";
import { requestBytes } from "./request-body.ts";

/**
 * The request body as a JSON object. An empty body counts as `{}` only where the spec allows it
 * (logout); everywhere else a missing or non-JSON body is M_NOT_JSON and a non-object is M_BAD_JSON.
 */
export async function readJsonObject(c: Context, opts: { allowEmpty?: boolean } = {}): Promise<JsonObject> {
  const text = new TextDecoder().decode(await requestBytes(c));
  if (text.trim() === "") {
    if (opts.allowEmpty) return {};
    throw notJson("Request body is empty; expected a JSON object.");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notJson("Content not JSON.");
  }
  if (!isJsonObject(value)) throw badJson("Request body must be a JSON object.");
  return value;
}
