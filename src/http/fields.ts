import type { JsonObject, JsonValue } from "../core/json.ts";
import { isJsonObject } from "../core/json.ts";
import { badJson, missingParam } from "../errors.ts";

/*
 * Typed reads of request body fields. A wrong type is 400 M_BAD_JSON and a missing required field
 * 400 M_MISSING_PARAM, so bad input never reaches a handler as `unknown`. JSON null counts as absent
 * for optional fields: several clients send `"device_id": null` meaning "none".
 */

function present(body: JsonObject, key: string): JsonValue | undefined {
  const value = body[key];
  return value === null ? undefined : value;
}

export function optionalString(body: JsonObject, key: string): string | undefined {
  const value = present(body, key);
  if (value === undefined || typeof value === "string") return value;
  throw badJson(`'${key}' must be a string`);
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
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw badJson(`'${key}' must be an array of strings`);
  }
  return value as string[];
}
