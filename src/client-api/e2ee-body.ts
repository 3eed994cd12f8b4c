import type { Context } from "hono";
import type { JsonObject } from "../core/json.ts";
import { badJson } from "../errors.ts";
import { readJsonObject } from "../http/body.ts";
import { containsNul } from "./query-params.ts";

/**
 * The body of an E2EE endpoint. Its user, device, room and session ids become database keys, so a NUL
 * anywhere is refused up front (400) rather than failing in PostgreSQL.
 */
export async function readE2eeBody(c: Context): Promise<JsonObject> {
  const body = await readJsonObject(c);
  if (containsNul(body)) throw badJson("The body must not contain NUL characters");
  return body;
}
