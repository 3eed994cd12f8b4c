import type { JsonObject } from "../core/json.ts";
import type { RoomVersion } from "../core/room-versions.ts";

export type Preset = "private_chat" | "trusted_private_chat" | "public_chat";
export const PRESETS: readonly Preset[] = ["private_chat", "trusted_private_chat", "public_chat"];

/** The state each preset sets (createRoom step 5). */
export const PRESET_STATE: Readonly<
  Record<Preset, { join_rule: string; history_visibility: string; guest_access: string }>
> = {
  private_chat: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
  trusted_private_chat: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
  public_chat: { join_rule: "public", history_visibility: "shared", guest_access: "forbidden" },
};

/**
 * The power levels a new room starts with, as Synapse sets them (clients and bots expect its levels):
 * the creator at 100 (v12: creators are infinitely powerful and never listed), moderation at 50,
 * room-wide settings at 100. In v12 the tombstone level must be above state_default: 150. The private
 * presets let every member invite. `trustedInvitees` get the creator's level before v12 (v12 makes them
 * additional creators instead). The caller applies power_level_content_override on top.
 */
export function defaultPowerLevels(
  version: RoomVersion,
  creator: string,
  preset: Preset,
  trustedInvitees: readonly string[],
): JsonObject {
  const users: JsonObject = {};
  if (!version.privilegedCreators) {
    users[creator] = 100;
    for (const u of trustedInvitees) users[u] = 100;
  }
  return {
    users,
    users_default: 0,
    events: {
      "m.room.name": 50,
      "m.room.power_levels": 100,
      "m.room.history_visibility": 100,
      "m.room.canonical_alias": 50,
      "m.room.avatar": 50,
      "m.room.tombstone": version.privilegedCreators ? 150 : 100,
      "m.room.server_acl": 100,
      "m.room.encryption": 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: preset === "public_chat" ? 50 : 0,
  };
}
