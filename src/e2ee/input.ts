import { isJsonObject, type JsonObject, type JsonValue } from "../core/json.ts";
import { badJson, invalidParam } from "../errors.ts";

/*
 * Shared checks for the E2EE request bodies: nested maps keyed by user id and device or key id.
 * Malformed input is 400 M_BAD_JSON (wrong shape) or M_INVALID_PARAM (a bad identifier).
 */

/** The server part of a user id, or undefined when it is not `@localpart:server`. */
export function serverOfUserId(userId: string): string | undefined {
  const colon = userId.indexOf(":");
  if (!userId.startsWith("@") || colon < 2 || colon === userId.length - 1) return undefined;
  return userId.slice(colon + 1);
}

/** A map keyed by user ids; each key must be a well-formed user id. */
export function userMap(value: JsonValue | undefined, name: string): JsonObject {
  if (!isJsonObject(value)) throw badJson(`'${name}' must be an object keyed by user ID`);
  for (const userId of Object.keys(value)) {
    if (serverOfUserId(userId) === undefined) throw invalidParam(`'${name}': '${userId}' is not a user ID`);
  }
  return value;
}

/** An object-valued entry of a map, with a message naming where it sits. */
export function objectAt(value: JsonValue | undefined, where: string): JsonObject {
  if (!isJsonObject(value)) throw badJson(`'${where}' must be an object`);
  return value;
}
