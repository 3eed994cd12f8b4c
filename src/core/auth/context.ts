import type { IdentifiedPdu } from "../pdu.ts";
import { parsePowerLevels, userPowerLevel, type PowerLevels } from "../power-levels.ts";
import type { RoomVersion } from "../room-versions.ts";
import { stateTupleKey } from "../state-key.ts";

/** Lookups into the state an event is being authorised against, shared by the per-kind rule files. */
export class AuthContext {
  readonly powerLevelsEvent: IdentifiedPdu | undefined;
  readonly powerLevels: PowerLevels;

  constructor(
    readonly version: RoomVersion,
    readonly event: IdentifiedPdu,
    readonly create: IdentifiedPdu,
    private readonly state: ReadonlyMap<string, IdentifiedPdu>,
  ) {
    this.powerLevelsEvent = this.get("m.room.power_levels", "");
    this.powerLevels = parsePowerLevels(this.powerLevelsEvent?.content, version);
  }

  get(type: string, stateKey: string): IdentifiedPdu | undefined {
    return this.state.get(stateTupleKey(type, stateKey));
  }

  /** The user's current membership, or undefined when they have no member event. */
  membership(userId: string): string | undefined {
    const membership = this.get("m.room.member", userId)?.content.membership;
    return typeof membership === "string" ? membership : undefined;
  }

  powerLevel(userId: string): number {
    return userPowerLevel(this.version, userId, this.powerLevelsEvent, this.create);
  }

  /**
   * The current join rule. With no `m.room.join_rules` event, or one without `join_rule`, the room
   * behaves as `invite`, as Synapse and gomatrixserverlib assume (the spec leaves it implicit). A
   * non-string value matches no rule.
   */
  joinRule(): string | undefined {
    const content = this.get("m.room.join_rules", "")?.content;
    if (content === undefined || !Object.hasOwn(content, "join_rule")) return "invite";
    return typeof content.join_rule === "string" ? content.join_rule : undefined;
  }
}
