/**
 * Power levels as the auth rules and state resolution see them (spec: `m.room.power_levels` schema,
 * room versions' "stringy"/"floaty" power level fragments, v12 "room creators").
 */
import { isJsonObject, RawNumber, type JsonObject, type JsonValue } from "./json.ts";
import type { IdentifiedPdu } from "./pdu.ts";
import type { RoomVersion } from "./room-versions.ts";
import { isValidUserId } from "./auth/identifiers.ts";

/** Power levels with every default filled in. Maps rather than records so `__proto__`-style keys are inert. */
export interface PowerLevels {
  readonly users: ReadonlyMap<string, number>;
  readonly users_default: number;
  readonly events: ReadonlyMap<string, number>;
  readonly events_default: number;
  readonly state_default: number;
  readonly ban: number;
  readonly kick: number;
  readonly redact: number;
  readonly invite: number;
  /** Always has `room` (default 50). */
  readonly notifications: ReadonlyMap<string, number>;
}

/** The scalar properties, in the order the auth rules list them. */
export const POWER_LEVEL_SCALAR_KEYS = [
  "users_default",
  "events_default",
  "state_default",
  "ban",
  "redact",
  "kick",
  "invite",
] as const;
export type PowerLevelScalarKey = (typeof POWER_LEVEL_SCALAR_KEYS)[number];

const SCALAR_DEFAULTS: Readonly<Record<PowerLevelScalarKey, number>> = {
  users_default: 0,
  events_default: 0,
  // The schema: state_default is 50 both when the key is missing and when there is no PL event.
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
};

const NOTIFICATIONS_ROOM_DEFAULT = 50;

/** The power level the spec gives the creator when a v1–v11 room has no `m.room.power_levels` event. */
export const CREATOR_DEFAULT_POWER_LEVEL = 100;

// Spec fragment v1-stringy-power-levels: optional whitespace, one optional sign, decimal digits.
const STRINGY_INTEGER = /^\s*[+-]?[0-9]+\s*$/;

/**
 * One power level value as a number, or undefined when the value is not a power level in this room
 * version: strings are accepted before v10 (stringy fragment), non-integers are truncated only where
 * the room version allows floats (v1–v5, floaty fragment).
 */
export function parseLevelValue(value: JsonValue | undefined, version: RoomVersion): number | undefined {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value + 0;
    return floatLevel(value, version);
  }
  if (value instanceof RawNumber) return floatLevel(Number(value.raw), version);
  if (typeof value === "string") {
    if (version.integerPowerLevels || !STRINGY_INTEGER.test(value)) return undefined;
    return Number(value.trim()) + 0;
  }
  return undefined;
}

function floatLevel(n: number, version: RoomVersion): number | undefined {
  // v6+ events cannot carry floats or out-of-range integers at all (strict canonical JSON).
  if (version.strictCanonicalJson || !Number.isFinite(n)) return undefined;
  return Math.trunc(n) + 0;
}

/**
 * The content as written, with each value parsed but no defaults: the auth rules need to know what
 * was added, changed or removed. Unusable values read as absent.
 */
export interface PowerLevelsFields {
  readonly scalars: Readonly<Record<PowerLevelScalarKey, number | undefined>>;
  readonly users: ReadonlyMap<string, number>;
  readonly events: ReadonlyMap<string, number>;
  readonly notifications: ReadonlyMap<string, number>;
}

export function readPowerLevelsFields(content: JsonObject, version: RoomVersion): PowerLevelsFields {
  const scalars = {} as Record<PowerLevelScalarKey, number | undefined>;
  for (const key of POWER_LEVEL_SCALAR_KEYS) scalars[key] = parseLevelValue(content[key], version);
  return {
    scalars,
    users: readLevelMap(content.users, version),
    events: readLevelMap(content.events, version),
    notifications: readLevelMap(content.notifications, version),
  };
}

function readLevelMap(value: JsonValue | undefined, version: RoomVersion): Map<string, number> {
  const out = new Map<string, number>();
  if (!isJsonObject(value)) return out;
  for (const [key, raw] of Object.entries(value)) {
    const level = parseLevelValue(raw, version);
    if (level !== undefined) out.set(key, level);
  }
  return out;
}

// State resolution asks for the same PL event's levels many times; events are immutable, so the parse
// is memoised per content object and room version.
const parsedCache = new WeakMap<JsonObject, Map<string, PowerLevels>>();

/** Power levels from an `m.room.power_levels` content, or the defaults when there is no PL event. */
export function parsePowerLevels(content: JsonObject | undefined, version: RoomVersion): PowerLevels {
  if (content === undefined) return withDefaults(undefined, version);
  let byVersion = parsedCache.get(content);
  if (byVersion === undefined) {
    byVersion = new Map();
    parsedCache.set(content, byVersion);
  }
  let levels = byVersion.get(version.id);
  if (levels === undefined) {
    levels = withDefaults(readPowerLevelsFields(content, version), version);
    byVersion.set(version.id, levels);
  }
  return levels;
}

function withDefaults(fields: PowerLevelsFields | undefined, _version: RoomVersion): PowerLevels {
  const scalar = (key: PowerLevelScalarKey): number => fields?.scalars[key] ?? SCALAR_DEFAULTS[key];
  const notifications = new Map(fields?.notifications ?? []);
  if (!notifications.has("room")) notifications.set("room", NOTIFICATIONS_ROOM_DEFAULT);
  return {
    users: fields?.users ?? new Map(),
    users_default: scalar("users_default"),
    events: fields?.events ?? new Map(),
    events_default: scalar("events_default"),
    state_default: scalar("state_default"),
    ban: scalar("ban"),
    kick: scalar("kick"),
    redact: scalar("redact"),
    invite: scalar("invite"),
    notifications,
  };
}

/**
 * The room creators: v12 the create event's sender plus valid `additional_creators`; v11 the sender;
 * v1–v10 `content.creator` (none if it is missing, which the create rules reject anyway).
 */
export function roomCreators(version: RoomVersion, createEvent: IdentifiedPdu): string[] {
  if (!version.implicitRoomCreator) {
    const creator = createEvent.content.creator;
    return typeof creator === "string" ? [creator] : [];
  }
  const creators = [createEvent.sender];
  if (version.privilegedCreators) {
    const additional = createEvent.content.additional_creators;
    if (Array.isArray(additional)) {
      for (const id of additional) if (isValidUserId(id) && !creators.includes(id)) creators.push(id);
    }
  }
  return creators;
}

/**
 * A user's power level: v12 creators are infinitely powerful; otherwise the PL event's `users` entry or
 * `users_default`; with no PL event, the (v1–v11) creator has 100 and everyone else 0.
 */
export function userPowerLevel(
  version: RoomVersion,
  userId: string,
  plEvent: IdentifiedPdu | undefined,
  createEvent: IdentifiedPdu,
): number {
  if (version.privilegedCreators && roomCreators(version, createEvent).includes(userId)) return Infinity;
  if (plEvent !== undefined) {
    const levels = parsePowerLevels(plEvent.content, version);
    return levels.users.get(userId) ?? levels.users_default;
  }
  if (!version.privilegedCreators && roomCreators(version, createEvent).includes(userId)) {
    return CREATOR_DEFAULT_POWER_LEVEL;
  }
  return 0;
}

/** The level needed to send an event of this type: its `events` entry, else state_default/events_default. */
export function requiredPowerLevel(
  _version: RoomVersion,
  pl: PowerLevels,
  eventType: string,
  isState: boolean,
): number {
  return pl.events.get(eventType) ?? (isState ? pl.state_default : pl.events_default);
}
