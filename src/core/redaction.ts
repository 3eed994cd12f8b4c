/**
 * The redaction algorithm (spec rooms/fragments/v1-, v6-, v9-, v11-redactions; v8 inline) and the
 * rule for when a received redaction may be applied (v3-handling-redactions).
 *
 * Redaction is part of signing and event ids: signatures and reference hashes are computed over the
 * redacted form, so the kept keys must match the spec exactly for each room version. Versions are told
 * apart by RoomVersion properties, never by number.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import type { RoomVersion } from "./room-versions.ts";

const TOP_LEVEL_V1 = new Set([
  "event_id",
  "type",
  "room_id",
  "sender",
  "state_key",
  "content",
  "hashes",
  "signatures",
  "depth",
  "prev_events",
  "prev_state",
  "auth_events",
  "origin",
  "origin_server_ts",
  "membership",
]);

// v11 (MSC2176) stops protecting origin, membership and prev_state.
const TOP_LEVEL_V11 = new Set(
  [...TOP_LEVEL_V1].filter((key) => key !== "origin" && key !== "membership" && key !== "prev_state"),
);

const POWER_LEVELS_V1 = [
  "ban",
  "events",
  "events_default",
  "kick",
  "redact",
  "state_default",
  "users",
  "users_default",
];
const POWER_LEVELS_V11 = [...POWER_LEVELS_V1, "invite"];

/**
 * Returns the redacted copy of `event` for `version`. The top level and `content` are new objects;
 * nested values are shared with the input (events are treated as immutable). `unsigned` is dropped;
 * re-adding `unsigned.redacted_because` when serving is the caller's business. `content` is always
 * present in the result, as in Synapse and gomatrixserverlib (and the spec's signing test vectors).
 */
export function redactEvent<T extends JsonObject>(event: T, version: RoomVersion): JsonObject {
  const keep = version.updatedRedactionRules ? TOP_LEVEL_V11 : TOP_LEVEL_V1;
  const out: JsonObject = {};
  for (const key of Object.keys(event)) {
    if (key !== "content" && keep.has(key)) out[key] = event[key] as JsonValue;
  }
  const type = typeof event.type === "string" ? event.type : "";
  out.content = isJsonObject(event.content) ? redactContent(type, event.content, version) : {};
  return out;
}

/** The `content` that survives redaction of an event of `type`. */
export function redactContent(type: string, content: JsonObject, version: RoomVersion): JsonObject {
  switch (type) {
    case "m.room.member": {
      const out = pick(content, ["membership"]);
      if (version.redactionKeepsJoinAuthorisedVia)
        copyIfPresent(out, content, "join_authorised_via_users_server");
      if (version.updatedRedactionRules) {
        // MSC3821: keep only `signed` of third_party_invite, so a redacted 3pid invite still verifies.
        const tpi = content.third_party_invite;
        if (isJsonObject(tpi)) out.third_party_invite = pick(tpi, ["signed"]);
      }
      return out;
    }
    case "m.room.create":
      // MSC2176: the whole create content matters to auth (room_version, m.federate, creators…).
      return version.updatedRedactionRules ? { ...content } : pick(content, ["creator"]);
    case "m.room.join_rules":
      return pick(content, version.redactionKeepsJoinRulesAllow ? ["join_rule", "allow"] : ["join_rule"]);
    case "m.room.power_levels":
      return pick(content, version.updatedRedactionRules ? POWER_LEVELS_V11 : POWER_LEVELS_V1);
    case "m.room.history_visibility":
      return pick(content, ["history_visibility"]);
    case "m.room.aliases":
      return version.specialCaseAliases ? pick(content, ["aliases"]) : {};
    case "m.room.redaction":
      return version.updatedRedactionRules ? pick(content, ["redacts"]) : {};
    default:
      return {};
  }
}

function pick(source: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) copyIfPresent(out, source, key);
  return out;
}

function copyIfPresent(target: JsonObject, source: JsonObject, key: string): void {
  if (Object.hasOwn(source, key)) target[key] = source[key] as JsonValue;
}

/** The server part of a user id (`@local:server`), or undefined if it has none. */
function serverOf(userId: string): string | undefined {
  const i = userId.indexOf(":");
  return i < 0 ? undefined : userId.slice(i + 1);
}

export interface RedactionCheck {
  /** `sender` of the m.room.redaction event. */
  redactionSender: string;
  /** `sender` of the event it redacts. */
  targetSender: string;
  /** The redaction sender's power level in the room (Infinity for v12 creators). */
  senderPowerLevel: number;
  /** The room's `redact` level (50 when the power levels do not say). */
  redactLevel: number;
}

/**
 * Whether a redaction that passed the auth rules may actually be applied to (and shown with) its
 * target: the sender has the redact level, or is on the same server as the target's sender. Only
 * meaningful once both events are known; the auth rules themselves do not check this (v3+).
 */
export function mayApplyRedaction(check: RedactionCheck): boolean {
  if (check.senderPowerLevel >= check.redactLevel) return true;
  const a = serverOf(check.redactionSender);
  return a !== undefined && a === serverOf(check.targetSender);
}
