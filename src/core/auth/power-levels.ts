import { isJsonObject, RawNumber, type JsonObject, type JsonValue } from "../json.ts";
import {
  parseLevelValue,
  POWER_LEVEL_SCALAR_KEYS,
  readPowerLevelsFields,
  roomCreators,
} from "../power-levels.ts";
import type { RoomVersion } from "../room-versions.ts";
import type { AuthContext } from "./context.ts";
import { isValidUserId } from "./identifiers.ts";
import { ALLOW, deny, type AuthResult } from "./result.ts";

/** Auth rule "If type is m.room.power_levels" (v1 rule 10, v6–v11 rule 9, v12 rule 10). */
export function checkPowerLevelsEvent(ctx: AuthContext): AuthResult {
  const { event, version } = ctx;
  const content = event.content;

  const shape = checkShape(content, version);
  if (!shape.allowed) return shape;

  if (version.privilegedCreators && isJsonObject(content.users)) {
    for (const creator of roomCreators(version, ctx.create)) {
      if (Object.hasOwn(content.users, creator))
        return deny(`users must not contain the room creator ${creator}`);
    }
  }

  const current = ctx.powerLevelsEvent;
  if (current === undefined) return ALLOW;

  const senderLevel = ctx.powerLevel(event.sender);
  const before = readPowerLevelsFields(current.content, version);
  const after = readPowerLevelsFields(content, version);

  for (const key of POWER_LEVEL_SCALAR_KEYS) {
    const denied = checkAlteration(key, before.scalars[key], after.scalars[key], senderLevel);
    if (denied) return denied;
  }
  const maps: Array<["events" | "notifications", ReadonlyMap<string, number>, ReadonlyMap<string, number>]> =
    [["events", before.events, after.events]];
  if (version.limitNotificationsPowerLevels)
    maps.push(["notifications", before.notifications, after.notifications]);
  for (const [name, old, next] of maps) {
    for (const key of unionKeys(old, next)) {
      const denied = checkAlteration(`${name}.${key}`, old.get(key), next.get(key), senderLevel);
      if (denied) return denied;
    }
  }
  for (const user of unionKeys(before.users, after.users)) {
    const old = before.users.get(user);
    const next = after.users.get(user);
    if (old === next) continue;
    // Changing or removing someone else's level needs strictly more power than they have.
    if (user !== event.sender && old !== undefined && old >= senderLevel) {
      return deny(`cannot change the level of ${user}, which is not below the sender's`);
    }
    if (next !== undefined && next > senderLevel) return deny(`cannot set ${user} above the sender's level`);
  }
  return ALLOW;
}

/** An added, changed or removed level: both the old and the new value must be within the sender's level. */
function checkAlteration(
  name: string,
  old: number | undefined,
  next: number | undefined,
  senderLevel: number,
): AuthResult | undefined {
  if (old === next) return undefined;
  if (old !== undefined && old > senderLevel)
    return deny(`cannot change ${name} from a level above the sender's`);
  if (next !== undefined && next > senderLevel) return deny(`cannot set ${name} above the sender's level`);
  return undefined;
}

function unionKeys(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): Set<string> {
  return new Set([...a.keys(), ...b.keys()]);
}

/**
 * The structural sub-rules: v10+ every level must be an integer; in every version `users` must map
 * valid user ids to levels (integers, or before v10 integer strings, or in v1–v5 floats); v1–v5 reject
 * floats outside the double range (floaty fragment).
 */
function checkShape(content: JsonObject, version: RoomVersion): AuthResult {
  if (version.integerPowerLevels) {
    for (const key of POWER_LEVEL_SCALAR_KEYS) {
      if (content[key] !== undefined && parseLevelValue(content[key], version) === undefined) {
        return deny(`${key} must be an integer`);
      }
    }
    for (const key of ["events", "notifications"] as const) {
      const value = content[key];
      if (value === undefined) continue;
      if (!isJsonObject(value)) return deny(`${key} must be an object`);
      for (const [name, level] of Object.entries(value)) {
        if (parseLevelValue(level, version) === undefined) return deny(`${key}.${name} must be an integer`);
      }
    }
  }
  const users = content.users;
  if (users !== undefined) {
    if (!isJsonObject(users)) return deny("users must be an object");
    for (const [user, level] of Object.entries(users)) {
      if (!isValidUserId(user)) return deny(`users key ${JSON.stringify(user)} is not a valid user id`);
      if (parseLevelValue(level, version) === undefined)
        return deny(`users.${user} is not a valid power level`);
    }
  }
  if (!version.strictCanonicalJson && hasOutOfRangeNumber(content)) {
    return deny("power levels must be finite numbers");
  }
  return ALLOW;
}

function hasOutOfRangeNumber(content: JsonObject): boolean {
  const values: JsonValue[] = POWER_LEVEL_SCALAR_KEYS.map((key) => content[key] ?? null);
  for (const key of ["users", "events", "notifications"]) {
    const map = content[key];
    if (isJsonObject(map)) values.push(...Object.values(map));
  }
  return values.some((v) => v instanceof RawNumber && !Number.isFinite(Number(v.raw)));
}
