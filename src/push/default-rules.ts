/**
 * The server-default push rules, transcribed from the spec (v1.19, client-server-api/modules/push.md,
 * "Predefined Rules"), in the spec's order. Since v1.17 (MSC4210) the spec has no default content rules
 * and no `.m.rule.contains_display_name` / `.m.rule.roomnotif`: mentions go through `m.mentions`.
 */

export type PushAction = string | { set_tweak: string; value?: string | boolean };

export type PushCondition =
  | { kind: "event_match"; key: string; pattern: string }
  | { kind: "event_property_is"; key: string; value: string | number | boolean | null }
  | { kind: "event_property_contains"; key: string; value: string | number | boolean | null }
  | { kind: "room_member_count"; is: string }
  | { kind: "sender_notification_permission"; key: string }
  | { kind: "contains_display_name" };

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export const PUSH_RULE_KINDS = ["override", "content", "room", "sender", "underride"] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

export type PushRuleset = Record<PushRuleKind, PushRule[]>;

const rule = (
  ruleId: string,
  conditions: PushCondition[],
  actions: PushAction[],
  enabled = true,
): PushRule => ({
  rule_id: ruleId,
  default: true,
  enabled,
  conditions,
  actions,
});

const match = (key: string, pattern: string): PushCondition => ({ kind: "event_match", key, pattern });
const soundDefault: PushAction = { set_tweak: "sound", value: "default" };
const highlight: PushAction = { set_tweak: "highlight" };

/** The default ruleset of `userId` (some rules match on the user's own id). */
export function defaultPushRules(userId: string): PushRuleset {
  return {
    override: [
      rule(".m.rule.master", [], [], false),
      rule(".m.rule.suppress_notices", [match("content.msgtype", "m.notice")], []),
      rule(
        ".m.rule.invite_for_me",
        [match("type", "m.room.member"), match("content.membership", "invite"), match("state_key", userId)],
        ["notify", soundDefault],
      ),
      rule(".m.rule.member_event", [match("type", "m.room.member")], []),
      rule(
        ".m.rule.is_user_mention",
        [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: userId }],
        ["notify", soundDefault, highlight],
      ),
      rule(
        ".m.rule.is_room_mention",
        [
          { kind: "event_property_is", key: "content.m\\.mentions.room", value: true },
          { kind: "sender_notification_permission", key: "room" },
        ],
        ["notify", highlight],
      ),
      rule(
        ".m.rule.tombstone",
        [match("type", "m.room.tombstone"), match("state_key", "")],
        ["notify", highlight],
      ),
      rule(".m.rule.reaction", [match("type", "m.reaction")], []),
      rule(".m.rule.room.server_acl", [match("type", "m.room.server_acl"), match("state_key", "")], []),
      rule(
        ".m.rule.suppress_edits",
        [{ kind: "event_property_is", key: "content.m\\.relates_to.rel_type", value: "m.replace" }],
        [],
      ),
    ],
    content: [],
    room: [],
    sender: [],
    underride: [
      rule(
        ".m.rule.call",
        [match("type", "m.call.invite")],
        ["notify", { set_tweak: "sound", value: "ring" }],
      ),
      rule(
        ".m.rule.encrypted_room_one_to_one",
        [{ kind: "room_member_count", is: "2" }, match("type", "m.room.encrypted")],
        ["notify", soundDefault],
      ),
      rule(
        ".m.rule.room_one_to_one",
        [{ kind: "room_member_count", is: "2" }, match("type", "m.room.message")],
        ["notify", soundDefault],
      ),
      rule(".m.rule.message", [match("type", "m.room.message")], ["notify"]),
      rule(".m.rule.encrypted", [match("type", "m.room.encrypted")], ["notify"]),
    ],
  };
}
