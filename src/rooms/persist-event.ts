import { encodeCanonicalJson } from "../core/canonical-json.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { authEventIds, prevEventIds, stateKeyOf, type IdentifiedPdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import { splitStateTupleKey, stateTupleKey, type StateTupleKey } from "../core/state-key.ts";
import type { Db } from "../storage/database.ts";
import { getCurrentStateIds } from "../storage/rooms/current-state.ts";
import {
  applyRoomStateChanges,
  roomStateChangesCtes,
  type CurrentMembershipRow,
  type MembershipHistoryRow,
  type RoomStateChanges,
} from "../storage/rooms/current-state-writes.ts";
import {
  insertEvent,
  type InsertedEvent,
  type InsertGuard,
  type NewEventRow,
} from "../storage/rooms/event-writes.ts";
import { getEvents, parseStoredPdu, type StoredEvent } from "../storage/rooms/events.ts";
import { getForwardExtremities } from "../storage/rooms/forward-extremities.ts";
import { loadStateGroup } from "../storage/rooms/state-groups.ts";
import type { TxnScope } from "../storage/rooms/txn-ids.ts";
import { applyRedactions } from "./apply-redactions.ts";
import { federationPdu } from "./build-event.ts";
import { resolveStoredStates } from "./resolve-stored-states.ts";
import type { StateBefore } from "./state-before.ts";
import { diffStates, writeStateGroup } from "./state-group-policy.ts";

/** An event that has been built or received, checked, and is ready to store with its state. */
export interface PersistInput {
  roomId: string;
  version: RoomVersion;
  event: IdentifiedPdu;
  /** The state before the event; undefined for outliers (stored without state). */
  before: StateBefore | undefined;
  /** Position on the events stream; null for outliers and rejected events. */
  streamOrdering: number | null;
  /** Why the auth rules rejected it (stored, never state, never a prev event). */
  rejectedReason?: string | null;
  /** Allowed by its auth events but not by current state: kept out of current state and extremities. */
  softFailed?: boolean;
  /**
   * History fetched with backfill, older than what the room's timeline held: it gets its state and a
   * (negative) stream ordering but touches neither forward extremities nor current state.
   */
  backfilled?: boolean;
  /** The room's forward extremities, when the caller has just read them under the room lock. */
  extremities?: readonly string[];
  /**
   * Built here just now: nothing stored can cite it as a prev event or name it in a redaction yet
   * (its id hashes its own content and timestamp), so those look-ups are skipped.
   */
  fresh?: boolean;
  /** The client transaction that sent it, recorded with the event. */
  txn?: { scope: TxnScope; requestHash: Buffer };
  /** Delta depths of state groups the caller knows (group id → depth), saving their look-up. */
  stateGroupDepths?: ReadonlyMap<number, number>;
  /**
   * Store only if these still hold (see InsertGuard), else throw StaleWriteError having written
   * nothing. Only for non-state events built on one stored state group, where nothing precedes the
   * event's insert.
   */
  guard?: InsertGuard;
  /** Servers to queue the event for, in its insert statement (see `persistLocalEvent`). */
  outbox?: readonly string[];
  /** Stores the event row instead of `insertEvent` (a run of events inserted together later). */
  insert?: (row: NewEventRow) => InsertedEvent;
  /** With a `guard`: runs the guarded insert instead of `insertEvent` (sharing a statement, say). */
  guardedInsert?: (row: NewEventRow, guard: InsertGuard) => Promise<InsertedEvent | undefined>;
  now: number;
}

/** A guarded persist found its preconditions broken; nothing was written. */
export class StaleWriteError extends Error {}

export interface PersistOutcome {
  stateGroupBefore: number | null;
  stateGroupAfter: number | null;
  /** Users whose current membership changed (sync wakes them even outside the room's waiters). */
  membershipUsers: string[];
  /** The event this one redacted, if it was a redaction that took effect. */
  redacted?: string;
  /** The event as stored (its PDU parsed back as any read would see it). */
  stored: StoredEvent;
  /** The forward extremities after it; undefined when they did not change (outliers, rejected, soft-failed). */
  extremities?: string[];
  /** The current state changes it caused (undefined as for `extremities`). */
  stateChanges?: ReadonlyMap<StateTupleKey, string | null>;
  /** Delta depth of `stateGroupAfter`, when known without a look-up. */
  stateGroupAfterDepth?: number;
}

/** A string for an indexed text column; NUL (valid JSON, invalid PostgreSQL text) is not indexed. */
function indexable(value: unknown): string | null {
  return typeof value === "string" && !value.includes("\u0000") ? value : null;
}

function relationOf(pdu: IdentifiedPdu): { id: string | null; type: string | null } {
  const rel = pdu.content["m.relates_to"];
  const id = isJsonObject(rel) ? indexable(rel.event_id) : null;
  return id === null ? { id: null, type: null } : { id, type: indexable((rel as JsonObject).rel_type) };
}

function redactsColumn(version: RoomVersion, pdu: IdentifiedPdu): string | null {
  if (pdu.type !== "m.room.redaction") return null;
  // Either place: a pre-v11 server may also have filled content.redacts, and the index is only a hint.
  return indexable(
    version.updatedRedactionRules ? pdu.content.redacts : (pdu.redacts ?? pdu.content.redacts),
  );
}

/**
 * Stores one event inside the caller's transaction (which holds the room's write lock): the event
 * row and its edges, state groups before and after, forward extremities, current state and
 * memberships, and redactions that now take effect. It neither builds nor checks: local sends and
 * (later) federation both call it with an event already judged, so the two paths store alike.
 */
export async function persistEvent(tx: Db, input: PersistInput): Promise<PersistOutcome> {
  const { roomId, version, event, before } = input;
  const stateKey = stateKeyOf(event);
  const key = stateKey === undefined ? undefined : stateTupleKey(event.type, stateKey);
  const rejected = input.rejectedReason != null;
  const outlier = before === undefined;
  const softFailed = input.softFailed ?? false;
  if (input.guard && (key !== undefined || before?.groupId === undefined)) {
    throw new Error("a guarded persist must write nothing before the event (non-state, stored state)");
  }

  let groupBefore: number | null = null;
  let groupAfter: number | null = null;
  // Delta depths known here: the caller's, plus any group this call writes.
  const depths = new Map(input.stateGroupDepths ?? []);
  if (before !== undefined) {
    if (before.groupId !== undefined) {
      groupBefore = before.groupId;
    } else {
      const written = await writeStateGroup(
        tx,
        roomId,
        before.deltaBase,
        before.deltaBase === undefined
          ? await before.full()
          : diffStates(await loadStateGroup(tx, before.deltaBase), await before.full()),
        () => before.full(),
        depths,
      );
      groupBefore = written.id;
      depths.set(written.id, written.depth);
    }
    if (key === undefined || rejected) {
      groupAfter = groupBefore;
    } else {
      const written = await writeStateGroup(
        tx,
        roomId,
        groupBefore,
        new Map([[key, event.event_id]]),
        async () => {
          const state = await before.full();
          state.set(key, event.event_id);
          return state;
        },
        depths,
      );
      groupAfter = written.id;
      depths.set(written.id, written.depth);
    }
  }

  const relation = relationOf(event);
  const prevIds = prevEventIds(event);
  const moves = !outlier && !rejected && !softFailed && input.backfilled !== true;
  // Read before the insert replaces them; the replacement rides on the event's insert statement.
  const oldExtremities = moves
    ? (input.extremities ?? (await getForwardExtremities(tx, roomId)).map((e) => e.eventId))
    : [];
  // A fresh event built on every extremity is now the only one, changing current state at its own key
  // at most: those writes ride on its insert statement.
  const cited = new Set(prevIds);
  const early =
    moves && input.fresh === true && before!.isCurrent && oldExtremities.every((id) => cited.has(id))
      ? await stateChangesOf(tx, input, key === undefined ? new Map() : new Map([[key, event.event_id]]))
      : undefined;
  const pduText = encodeCanonicalJson(federationPdu(version, event), { strict: version.strictCanonicalJson });
  const streamOrdering = outlier || rejected ? null : input.streamOrdering;
  const row: NewEventRow = {
    eventId: event.event_id,
    roomId,
    // Rejected events and outliers are not in the timeline: no stream position (schema contract).
    streamOrdering,
    depth: event.depth,
    type: event.type,
    stateKey,
    sender: event.sender,
    originServerTs: event.origin_server_ts,
    pdu: pduText,
    outlier,
    rejectedReason: input.rejectedReason ?? null,
    softFailed,
    stateGroupBefore: groupBefore,
    stateGroupAfter: groupAfter,
    relatesToId: relation.id,
    relationType: relation.type,
    redacts: redactsColumn(version, event),
    prevEventIds: prevIds,
    authEventIds: authEventIds(event),
    createdTs: input.now,
    // Something stored may already cite an event that was not built here just now (see `fresh`).
    extremities: moves ? { cited: prevIds, added: event.event_id, unlessCited: !input.fresh } : undefined,
    probeLaterEvents: !input.fresh && !outlier && !rejected,
    stateChanges: early && roomStateChangesCtes(roomId, early),
    outbox: input.outbox,
    txn: input.txn,
  };
  const inserted = input.insert
    ? input.insert(row)
    : input.guard && input.guardedInsert
      ? await input.guardedInsert(row, input.guard)
      : await insertEvent(tx, row, input.guard);
  if (!inserted) throw new StaleWriteError("the room changed since the write cache was filled");
  const isExtremity = moves && !inserted.cited;

  const outcome: PersistOutcome = {
    stateGroupBefore: groupBefore,
    stateGroupAfter: groupAfter,
    membershipUsers: [],
    stored: {
      eventId: event.event_id,
      roomId,
      pdu: parseStoredPdu(event.event_id, pduText),
      streamOrdering,
      topologicalOrdering: event.depth,
      outlier,
      rejectedReason: input.rejectedReason ?? null,
      softFailed,
      redactedBy: null,
      stateGroupBefore: groupBefore,
      stateGroupAfter: groupAfter,
    },
  };
  if (groupAfter !== null) outcome.stateGroupAfterDepth = depths.get(groupAfter);
  if (outlier || rejected) return outcome;

  if (moves) {
    const remaining = oldExtremities.filter((id) => !cited.has(id) && id !== event.event_id);
    const newExtremities = isExtremity ? [...remaining, event.event_id] : remaining;
    let applied = early;
    if (!applied) {
      applied = await stateChangesOf(
        tx,
        input,
        await updateCurrentState(tx, input, newExtremities, isExtremity, key),
      );
      await applyRoomStateChanges(tx, roomId, applied);
    }
    outcome.extremities = newExtremities;
    outcome.stateChanges = applied.changes;
    outcome.membershipUsers = applied.memberships.users;
  }
  outcome.redacted = await applyRedactions(tx, version, event, inserted.redactions);
  return outcome;
}

/** The current state `changes` with the memberships and membership history they imply. */
async function stateChangesOf(
  tx: Db,
  input: PersistInput,
  changes: ReadonlyMap<StateTupleKey, string | null>,
): Promise<RoomStateChanges & { memberships: { users: string[] } }> {
  const { event } = input;
  const stateKey = stateKeyOf(event);
  const memberships = await currentMembershipChanges(tx, event, input.streamOrdering, changes);
  const history: MembershipHistoryRow | undefined =
    event.type === "m.room.member" && stateKey !== undefined && typeof event.content.membership === "string"
      ? {
          eventId: event.event_id,
          userId: stateKey,
          sender: event.sender,
          membership: event.content.membership,
          streamOrdering: input.streamOrdering,
        }
      : undefined;
  return { changes, memberships, history };
}

/**
 * The changes bringing current state to the state after the new forward extremities (the caller
 * applies them with the memberships they imply). The usual local case (built on
 * all extremities, which were one) changes only the event's own key; otherwise current state is
 * recomputed, resolving when several extremities remain.
 */
async function updateCurrentState(
  tx: Db,
  input: PersistInput,
  newExtremities: readonly string[],
  isExtremity: boolean,
  key: StateTupleKey | undefined,
): Promise<Map<StateTupleKey, string | null>> {
  const { roomId, version, event, before } = input;
  let changes: Map<StateTupleKey, string | null>;
  if (before!.isCurrent && newExtremities.length === 1 && newExtremities[0] === event.event_id) {
    changes = key === undefined ? new Map() : new Map([[key, event.event_id]]);
  } else {
    const after = await before!.full();
    if (key !== undefined) after.set(key, event.event_id);
    const others = newExtremities.filter((id) => id !== event.event_id);
    const sets = [after, ...(await statesAfter(tx, others))];
    const target = isExtremity
      ? await resolveStoredStates(tx, version, sets)
      : await resolveStoredStates(tx, version, sets.slice(1));
    changes = diffStates(await getCurrentStateIds(tx, roomId), target);
  }
  return changes;
}

async function statesAfter(tx: Db, eventIds: readonly string[]): Promise<Map<StateTupleKey, string>[]> {
  const events = await getEvents(tx, eventIds);
  const out: Map<StateTupleKey, string>[] = [];
  for (const id of eventIds) {
    const group = events.get(id)?.stateGroupAfter;
    if (group !== undefined && group !== null) out.push(await loadStateGroup(tx, group));
  }
  return out;
}

/** The current_memberships rows the member entries of the current-state changes imply. */
async function currentMembershipChanges(
  tx: Db,
  event: IdentifiedPdu,
  streamOrdering: number | null,
  changes: ReadonlyMap<StateTupleKey, string | null>,
): Promise<{ set: CurrentMembershipRow[]; removed: string[]; users: string[] }> {
  const out = { set: [] as CurrentMembershipRow[], removed: [] as string[], users: [] as string[] };
  const memberChanges = [...changes].filter(([k]) => splitStateTupleKey(k)[0] === "m.room.member");
  if (memberChanges.length === 0) return out;
  const others = memberChanges
    .map(([, id]) => id)
    .filter((id): id is string => id !== null && id !== event.event_id);
  const loaded = await getEvents(tx, others);
  for (const [k, id] of memberChanges) {
    const userId = splitStateTupleKey(k)[1];
    out.users.push(userId);
    if (id === null) {
      out.removed.push(userId);
      continue;
    }
    const member = id === event.event_id ? { pdu: event, streamOrdering } : loaded.get(id);
    const membership = member?.pdu.content.membership;
    if (!member || typeof membership !== "string") continue;
    out.set.push({ userId, membership, eventId: id, streamOrdering: member.streamOrdering });
  }
  return out;
}
