import { isJsonObject, type JsonObject, type JsonValue } from "../core/json.ts";
import { parseDotPath } from "./event-fields.ts";

/**
 * Filters (spec "Filtering", definitions/sync_filter.yaml): parsing with defaults, and matching. Pure:
 * storage keeps the JSON verbatim and every reader parses it here.
 */

/** A filter that is not a valid Filter object; the message names the offending field. */
export class FilterError extends Error {
  override readonly name = "FilterError";
}

/** `types`/`not_types` entries, with `*` matching any run of characters. */
export interface TypePatterns {
  readonly exact: ReadonlySet<string>;
  readonly globs: readonly RegExp[];
}

export interface EventFilter {
  /** Undefined: the endpoint's default applies. */
  readonly limit?: number;
  /** Undefined: every type. */
  readonly types?: TypePatterns;
  readonly notTypes?: TypePatterns;
  readonly senders?: ReadonlySet<string>;
  readonly notSenders: ReadonlySet<string>;
}

export interface RoomEventFilter extends EventFilter {
  readonly rooms?: ReadonlySet<string>;
  readonly notRooms: ReadonlySet<string>;
  /** true: only events with `content.url`; false: only those without; undefined: either. */
  readonly containsUrl?: boolean;
  readonly lazyLoadMembers: boolean;
  readonly includeRedundantMembers: boolean;
  readonly unreadThreadNotifications: boolean;
}

export interface RoomFilter {
  readonly rooms?: ReadonlySet<string>;
  readonly notRooms: ReadonlySet<string>;
  readonly includeLeave: boolean;
  readonly timeline: RoomEventFilter;
  readonly state: RoomEventFilter;
  readonly ephemeral: RoomEventFilter;
  readonly accountData: RoomEventFilter;
}

export interface SyncFilter {
  readonly eventFormat: "client" | "federation";
  /** Parsed dot paths; undefined: every field. */
  readonly eventFields?: readonly (readonly string[])[];
  readonly presence: EventFilter;
  readonly accountData: EventFilter;
  readonly room: RoomFilter;
}

/** Timeline events per room when the filter sets no limit (spec examples and clients assume 10). */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** Upper bound on any filter limit, so one request cannot ask for a whole room. */
export const MAX_FILTER_LIMIT = 100;

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "s");
}

function compileTypes(list: readonly string[]): TypePatterns {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const t of list) {
    if (t.includes("*")) globs.push(globToRegExp(t));
    else exact.add(t);
  }
  return { exact, globs };
}

export function matchesTypes(patterns: TypePatterns, type: string): boolean {
  return patterns.exact.has(type) || patterns.globs.some((re) => re.test(type));
}

// ---- parsing ----

/** Absent and null both mean "not set": clients (js-sdk) send explicit nulls. */
function field(obj: JsonObject, key: string): JsonValue | undefined {
  const v = obj[key];
  return v === undefined || v === null ? undefined : v;
}

function stringList(obj: JsonObject, key: string, where: string): string[] | undefined {
  const v = field(obj, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new FilterError(`${where}${key} must be an array of strings`);
  }
  return v as string[];
}

function bool(obj: JsonObject, key: string, where: string): boolean | undefined {
  const v = field(obj, key);
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new FilterError(`${where}${key} must be a boolean`);
  return v;
}

function limitOf(obj: JsonObject, where: string): number | undefined {
  const v = field(obj, "limit");
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new FilterError(`${where}limit must be a non-negative integer`);
  }
  return Math.min(v, MAX_FILTER_LIMIT);
}

function objectAt(obj: JsonObject, key: string, where: string): JsonObject {
  const v = field(obj, key);
  if (v === undefined) return {};
  if (!isJsonObject(v)) throw new FilterError(`${where}${key} must be an object`);
  return v;
}

function parseEventFilter(obj: JsonObject, where: string): EventFilter {
  const types = stringList(obj, "types", where);
  const notTypes = stringList(obj, "not_types", where);
  const senders = stringList(obj, "senders", where);
  return {
    limit: limitOf(obj, where),
    types: types && compileTypes(types),
    notTypes: notTypes && notTypes.length > 0 ? compileTypes(notTypes) : undefined,
    senders: senders && new Set(senders),
    notSenders: new Set(stringList(obj, "not_senders", where) ?? []),
  };
}

function parseRoomEventFilter(obj: JsonObject, where: string): RoomEventFilter {
  const rooms = stringList(obj, "rooms", where);
  return {
    ...parseEventFilter(obj, where),
    rooms: rooms && new Set(rooms),
    notRooms: new Set(stringList(obj, "not_rooms", where) ?? []),
    containsUrl: bool(obj, "contains_url", where),
    lazyLoadMembers: bool(obj, "lazy_load_members", where) ?? false,
    includeRedundantMembers: bool(obj, "include_redundant_members", where) ?? false,
    unreadThreadNotifications: bool(obj, "unread_thread_notifications", where) ?? false,
  };
}

/** Validates a Filter object and fills in defaults; unknown keys are ignored for forward compatibility. */
export function parseFilter(value: unknown): SyncFilter {
  if (!isJsonObject(value)) throw new FilterError("filter must be a JSON object");
  const format = field(value, "event_format");
  if (format !== undefined && format !== "client" && format !== "federation") {
    throw new FilterError('event_format must be "client" or "federation"');
  }
  const fields = stringList(value, "event_fields", "");
  const room = objectAt(value, "room", "");
  const rooms = stringList(room, "rooms", "room.");
  return {
    eventFormat: format ?? "client",
    eventFields: fields?.map(parseDotPath),
    presence: parseEventFilter(objectAt(value, "presence", ""), "presence."),
    accountData: parseEventFilter(objectAt(value, "account_data", ""), "account_data."),
    room: {
      rooms: rooms && new Set(rooms),
      notRooms: new Set(stringList(room, "not_rooms", "room.") ?? []),
      includeLeave: bool(room, "include_leave", "room.") ?? false,
      timeline: parseRoomEventFilter(objectAt(room, "timeline", "room."), "room.timeline."),
      state: parseRoomEventFilter(objectAt(room, "state", "room."), "room.state."),
      ephemeral: parseRoomEventFilter(objectAt(room, "ephemeral", "room."), "room.ephemeral."),
      accountData: parseRoomEventFilter(objectAt(room, "account_data", "room."), "room.account_data."),
    },
  };
}

/** The filter that lets everything through (no `filter` parameter). */
export const DEFAULT_FILTER: SyncFilter = parseFilter({});

// ---- matching ----

/** What filters look at in an event. */
export interface FilterableEvent {
  type: string;
  sender?: string;
  roomId?: string;
  content?: JsonObject;
}

/** EventFilter semantics: the `not_` lists win over the allow lists. */
export function allowsEvent(filter: EventFilter, ev: FilterableEvent): boolean {
  if (ev.sender !== undefined) {
    if (filter.notSenders.has(ev.sender)) return false;
    if (filter.senders && !filter.senders.has(ev.sender)) return false;
  }
  if (filter.notTypes && matchesTypes(filter.notTypes, ev.type)) return false;
  if (filter.types && !matchesTypes(filter.types, ev.type)) return false;
  return true;
}

export function allowsRoomId(
  filter: { rooms?: ReadonlySet<string>; notRooms: ReadonlySet<string> },
  roomId: string,
): boolean {
  if (filter.notRooms.has(roomId)) return false;
  return !filter.rooms || filter.rooms.has(roomId);
}

export function allowsRoomEvent(filter: RoomEventFilter, ev: FilterableEvent): boolean {
  if (ev.roomId !== undefined && !allowsRoomId(filter, ev.roomId)) return false;
  if (filter.containsUrl !== undefined) {
    const hasUrl = ev.content !== undefined && Object.hasOwn(ev.content, "url");
    if (hasUrl !== filter.containsUrl) return false;
  }
  return allowsEvent(filter, ev);
}

/** The timeline limit to apply: the filter's, or the default. */
export function timelineLimit(filter: SyncFilter): number {
  return filter.room.timeline.limit ?? DEFAULT_TIMELINE_LIMIT;
}
