import type { JsonObject, JsonValue } from "../core/json.ts";
import { isJsonObject } from "../core/json.ts";
import { badJson, invalidParam, missingParam } from "../errors.ts";

/*
 * Typed reads of request body fields. A wrong type is 400 M_BAD_JSON and a missing required field
 * 400 M_MISSING_PARAM, so bad input never reaches a handler as `unknown`. JSON null counts as absent
 * for optional fields: several clients send `"device_id": null` meaning "none". Strings may not contain
 * NUL: PostgreSQL text cannot store it, and no field read through here has a use for it.
 */

const hasNul = (value: string): boolean => value.includes("\u0000");

function present(body: JsonObject, key: string): JsonValue | undefined {
  const value = body[key];
  return value === null ? undefined : value;
}

export function optionalString(body: JsonObject, key: string): string | undefined {
  const value = present(body, key);
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw badJson(`'${key}' must be a string`);
  if (hasNul(value)) throw badJson(`'${key}' must not contain NUL characters`);
  return value;
}

export function requiredString(body: JsonObject, key: string): string {
  const value = optionalString(body, key);
  if (value === undefined) throw missingParam(`Missing '${key}'`);
  return value;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const value = present(body, key);
  if (value === undefined || typeof value === "boolean") return value;
  throw badJson(`'${key}' must be a boolean`);
}

export function optionalObject(body: JsonObject, key: string): JsonObject | undefined {
  const value = present(body, key);
  if (value === undefined || isJsonObject(value)) return value;
  throw badJson(`'${key}' must be an object`);
}

export function requiredStringArray(body: JsonObject, key: string): string[] {
  const value = present(body, key);
  if (value === undefined) throw missingParam(`Missing '${key}'`);
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && !hasNul(v))) {
    throw badJson(`'${key}' must be an array of strings (without NUL characters)`);
  }
  return value as string[];
}

/** A path or query parameter used as text in the database (so no NUL); undefined stays undefined. */
export function textParam<T extends string | undefined>(value: T, name: string): T {
  if (value !== undefined && hasNul(value)) throw invalidParam(`'${name}' must not contain NUL characters`);
  return value;
}
