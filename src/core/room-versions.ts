/**
 * The room version table (spec: "Room versions", rooms/v1.md … v12.md). Every behaviour that differs
 * between versions is a named property here, so algorithms test a property, never a version number.
 */

export type EventIdFormat = "v1" | "v3" | "v4";
export type StateResAlgorithm = "v1" | "v2" | "v2.1";

export interface RoomVersion {
  readonly id: string;
  /** "stable" versions may be created; all listed versions may be joined. */
  readonly stability: "stable" | "unstable";
  /** v1/v2: sender-chosen `$local:domain` ids carried in the PDU; v3: standard base64 hash; v4+: URL-safe. */
  readonly eventIdFormat: EventIdFormat;
  readonly stateRes: StateResAlgorithm;
  /** v1–v2: redaction events are checked by auth rule 11 (sender domain or power) inside the auth rules. */
  readonly redactionInAuthRules: boolean;
  /** v1–v5: `m.room.aliases` state key must equal the sender's domain; its `aliases` survive redaction. */
  readonly specialCaseAliases: boolean;
  /** v5+: signatures made with a key are only valid while the key was (`valid_until_ts`). */
  readonly enforceKeyValidity: boolean;
  /** v6+: floats and integers outside ±(2^53−1) are invalid; `notifications` power levels are checked. */
  readonly strictCanonicalJson: boolean;
  readonly limitNotificationsPowerLevels: boolean;
  /** v7+: `knock` membership and join rule. */
  readonly knock: boolean;
  /** v8+: `restricted` join rule with `allow` and `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v8+: redaction keeps `allow` in `m.room.join_rules`. */
  readonly redactionKeepsJoinRulesAllow: boolean;
  /** v9+: redaction keeps `join_authorised_via_users_server` in `m.room.member`. */
  readonly redactionKeepsJoinAuthorisedVia: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /** v10+: every power level value must be an integer (strings are rejected). */
  readonly integerPowerLevels: boolean;
  /** v11+: the creator is the create event's sender (no `content.creator`). */
  readonly implicitRoomCreator: boolean;
  /** v11+ redaction algorithm (MSC2176/MSC3821/MSC3989): drops top-level origin/membership/prev_state, … */
  readonly updatedRedactionRules: boolean;
  /**
   * v11+: an event whose sender/room_id/state_key/type/event_id exceeds 255 UTF-8 bytes is dropped.
   * In v1–v10 Synapse long measured code points, so byte-only violators are kept as rejected events
   * instead (dropping them now would break rooms that already contain them).
   */
  readonly strictEventByteLimits: boolean;
  /** v1–v11: `m.room.create` must be among every other event's `auth_events`; v12 makes it implicit. */
  readonly createEventInAuthEvents: boolean;
  /** v12: the room id is `!` + the create event's reference hash; the create event has no `room_id`. */
  readonly roomIdFromCreateEvent: boolean;
  /** v12: creators (`sender` + `additional_creators`) have infinite power and are never in PL `users`. */
  readonly privilegedCreators: boolean;
}

const base = {
  stability: "stable",
  eventIdFormat: "v4",
  stateRes: "v2",
  redactionInAuthRules: false,
  specialCaseAliases: false,
  enforceKeyValidity: true,
  strictCanonicalJson: true,
  limitNotificationsPowerLevels: true,
  knock: false,
  restrictedJoins: false,
  redactionKeepsJoinRulesAllow: false,
  redactionKeepsJoinAuthorisedVia: false,
  knockRestricted: false,
  integerPowerLevels: false,
  implicitRoomCreator: false,
  updatedRedactionRules: false,
  strictEventByteLimits: false,
  createEventInAuthEvents: true,
  roomIdFromCreateEvent: false,
  privilegedCreators: false,
} as const satisfies Omit<RoomVersion, "id">;

const v1: RoomVersion = {
  ...base,
  id: "1",
  eventIdFormat: "v1",
  stateRes: "v1",
  redactionInAuthRules: true,
  specialCaseAliases: true,
  enforceKeyValidity: false,
  strictCanonicalJson: false,
  limitNotificationsPowerLevels: false,
};
const v2: RoomVersion = { ...v1, id: "2", stateRes: "v2" };
const v3: RoomVersion = { ...v2, id: "3", eventIdFormat: "v3", redactionInAuthRules: false };
const v4: RoomVersion = { ...v3, id: "4", eventIdFormat: "v4" };
const v5: RoomVersion = { ...v4, id: "5", enforceKeyValidity: true };
const v6: RoomVersion = {
  ...v5,
  id: "6",
  specialCaseAliases: false,
  strictCanonicalJson: true,
  limitNotificationsPowerLevels: true,
};
const v7: RoomVersion = { ...v6, id: "7", knock: true };
const v8: RoomVersion = { ...v7, id: "8", restrictedJoins: true, redactionKeepsJoinRulesAllow: true };
const v9: RoomVersion = { ...v8, id: "9", redactionKeepsJoinAuthorisedVia: true };
const v10: RoomVersion = { ...v9, id: "10", knockRestricted: true, integerPowerLevels: true };
const v11: RoomVersion = {
  ...v10,
  id: "11",
  implicitRoomCreator: true,
  updatedRedactionRules: true,
  strictEventByteLimits: true,
};
const v12: RoomVersion = {
  ...v11,
  id: "12",
  stateRes: "v2.1",
  createEventInAuthEvents: false,
  roomIdFromCreateEvent: true,
  privilegedCreators: true,
};

export const ROOM_VERSIONS: ReadonlyMap<string, RoomVersion> = new Map(
  [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((v) => [v.id, v]),
);

/** The versions this server lets users create rooms in (older ones can still be joined). */
export const CREATABLE_ROOM_VERSIONS: readonly string[] = ["10", "11", "12"];
export const DEFAULT_ROOM_VERSION = "12";

export function getRoomVersion(id: string): RoomVersion | undefined {
  return ROOM_VERSIONS.get(id);
}
