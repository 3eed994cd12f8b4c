import { encodeCanonicalJson } from "../core/canonical-json.ts";
import { authEventIds, type IdentifiedPdu } from "../core/pdu.ts";
import { parsePowerLevels, userPowerLevel } from "../core/power-levels.ts";
import { mayApplyRedaction, redactEvent } from "../core/redaction.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { Db } from "../storage/database.ts";
import { getEvent, getEvents } from "../storage/rooms/events.ts";
import { markRedacted } from "../storage/rooms/redaction-writes.ts";
import { federationPdu } from "./build-event.ts";

/** The event a redaction names: `content.redacts` from v11, top-level `redacts` before. */
export function redactsOf(version: RoomVersion, pdu: IdentifiedPdu): string | undefined {
  const redacts = version.updatedRedactionRules ? pdu.content.redacts : pdu.redacts;
  return typeof redacts === "string" ? redacts : undefined;
}

/** The create event id of a room: cited in auth_events before v12, named by the room id from v12. */
export function createEventIdOf(
  version: RoomVersion,
  pdu: IdentifiedPdu,
  authEvents: readonly IdentifiedPdu[],
): string | undefined {
  if (version.roomIdFromCreateEvent && typeof pdu.room_id === "string") return `$${pdu.room_id.slice(1)}`;
  return authEvents.find((e) => e.type === "m.room.create" && e.state_key === "")?.event_id;
}

/**
 * The redaction sender's power level and the room's redact level as the redaction's own auth events
 * say (the state it was authorised against), so the answer never depends on when the target arrives.
 */
async function levelsAt(
  db: Db,
  version: RoomVersion,
  redaction: IdentifiedPdu,
): Promise<{ sender: number; redact: number } | undefined> {
  const auth = [...(await getEvents(db, authEventIds(redaction))).values()].map((e) => e.pdu);
  const createId = createEventIdOf(version, redaction, auth);
  const create =
    auth.find((e) => e.event_id === createId) ?? (createId ? (await getEvent(db, createId))?.pdu : undefined);
  if (!create) return undefined;
  const pl = auth.find((e) => e.type === "m.room.power_levels" && e.state_key === "");
  return {
    sender: userPowerLevel(version, redaction.sender, pl, create),
    redact: parsePowerLevels(pl?.content, version).redact,
  };
}

/** Applies `redaction` to its stored target when the spec's rule allows; true when applied. */
async function tryApply(
  db: Db,
  version: RoomVersion,
  redaction: IdentifiedPdu,
  targetId: string,
): Promise<boolean> {
  const target = await getEvent(db, targetId);
  if (!target || target.roomId !== redaction.room_id || target.redactedBy !== null) return false;
  const levels = await levelsAt(db, version, redaction);
  if (!levels) return false;
  const allowed = mayApplyRedaction({
    redactionSender: redaction.sender,
    targetSender: target.pdu.sender,
    senderPowerLevel: levels.sender,
    redactLevel: levels.redact,
  });
  if (!allowed) return false;
  const redacted = redactEvent(federationPdu(version, target.pdu), version);
  await markRedacted(
    db,
    targetId,
    redaction.event_id,
    encodeCanonicalJson(redacted, { strict: version.strictCanonicalJson }),
  );
  return true;
}

/**
 * Redactions take effect once both events are known: when `event` is a redaction, on its target (if
 * stored); when `event` is the target of redactions stored earlier (received out of order, `targetedBy`
 * as its insert found them), the first of them that may apply.
 */
export async function applyRedactions(
  db: Db,
  version: RoomVersion,
  event: IdentifiedPdu,
  targetedBy: readonly string[],
): Promise<string | undefined> {
  let redactedId: string | undefined;
  if (event.type === "m.room.redaction") {
    const targetId = redactsOf(version, event);
    if (targetId !== undefined && (await tryApply(db, version, event, targetId))) redactedId = targetId;
  }
  for (const redactionId of targetedBy) {
    if (redactionId === event.event_id) continue;
    const redaction = await getEvent(db, redactionId);
    if (redaction && (await tryApply(db, version, redaction.pdu, event.event_id))) break;
  }
  return redactedId;
}
