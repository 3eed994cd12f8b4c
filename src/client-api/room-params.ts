import { isValidUserId } from "../core/auth/identifiers.ts";
import type { JsonObject } from "../core/json.ts";
import { badJson, invalidParam, missingParam } from "../errors.ts";

const MAX_ID_BYTES = 255;

/** A user id from a request: the grammar the auth rules accept, at most 255 bytes. */
export function requireUserId(value: string, what = "user_id"): string {
  if (!isValidUserId(value) || Buffer.byteLength(value) > MAX_ID_BYTES) {
    throw invalidParam(`'${what}' is not a valid user ID: ${JSON.stringify(value)}`);
  }
  return value;
}

/** The `user_id` field of invite/kick/ban/unban bodies. */
export function bodyUserId(body: JsonObject): string {
  const value = body.user_id;
  if (value === undefined || value === null) throw missingParam("Missing 'user_id'");
  if (typeof value !== "string") throw badJson("'user_id' must be a string");
  return requireUserId(value);
}

/** The optional `reason` of membership and redaction bodies. */
export function bodyReason(body: JsonObject): string | undefined {
  const value = body.reason;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw badJson("'reason' must be a string");
  return value;
}

/** Event types are non-empty; their length limit is the event size check's (413). */
export function requireEventType(value: string): string {
  if (value === "") throw invalidParam("The event type must not be empty");
  return value;
}
