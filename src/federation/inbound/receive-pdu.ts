import { isJsonObject, type JsonObject, type JsonValue } from "../../core/json.ts";
import { authEventIds, prevEventIds, stateKeyOf, type IdentifiedPdu } from "../../core/pdu.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import { roomVersions } from "../../rooms/room-versions.ts";
import { stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { HearthContext } from "../../context.ts";
import { acceptRemoteEvent, acceptRemoteEvents, type RemoteEventOutcome } from "../../rooms/remote-events.ts";
import { getEvents, type StoredEvent } from "../../storage/rooms/events.ts";
import { getForwardExtremities } from "../../storage/rooms/forward-extremities.ts";
import { checkReceivedPdu, claimedRoomId, DroppedPduError, type CheckedPdu } from "./check-pdu.ts";
import { ensureAuthEvents, fetchEvents, storeFetchedEvents, unknownIds } from "./fetched-events.ts";
import type { FederationPeers } from "./peers.ts";
import { fetchMissingEvents, fetchStateIds, RemoteFetchError } from "./remote-events.ts";

/** get_missing_events asks for at most this many events (the spec's default). */
export const MISSING_EVENTS_LIMIT = 10;

export interface PduResult {
  eventId: string | undefined;
  /** Undefined when the event was accepted (or soft-failed, which the sender need not know). */
  error?: string;
  outcome?: RemoteEventOutcome["status"] | "dropped";
}

export interface ReceiveOptions {
  /** Ask the origin for missing prev events first (off for events that came from such a request). */
  fillGaps: boolean;
}

class PduError extends Error {}

async function roomVersion(ctx: HearthContext, roomId: string): Promise<RoomVersion> {
  const version = (await roomVersions(ctx, [roomId])).get(roomId);
  // Rooms of versions this server cannot handle are as good as unknown.
  if (!version) throw new PduError("unknown room");
  return version;
}

/**
 * The state after prev event `prevId`, which this server lacks: `state_ids` at it from the origin,
 * the events it names fetched and stored as outliers, plus the prev event itself when it is state.
 */
export async function stateAfterRemotePrev(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  roomId: string,
  version: RoomVersion,
  prevId: string,
): Promise<Map<StateTupleKey, string>> {
  const { pduIds, authChainIds } = await fetchStateIds(peers.client, origin, roomId, prevId);
  const missing = await unknownIds(ctx, [...authChainIds, ...pduIds, prevId]);
  await storeFetchedEvents(ctx, peers, roomId, version, await fetchEvents(peers, origin, missing));
  const events = await getEvents(ctx.db, [...pduIds, prevId]);
  const prev = events.get(prevId);
  if (!prev) throw new PduError(`could not fetch prev event ${prevId}`);
  const state = new Map<StateTupleKey, string>();
  for (const id of pduIds) {
    const ev = events.get(id);
    const key = ev && stateKeyOf(ev.pdu);
    if (!ev || key === undefined) throw new PduError(`could not fetch state event ${id} at ${prevId}`);
    state.set(stateTupleKey(ev.pdu.type, key), id);
  }
  const prevKey = stateKeyOf(prev.pdu);
  if (prevKey !== undefined && prev.rejectedReason === null) {
    state.set(stateTupleKey(prev.pdu.type, prevKey), prevId);
  }
  return state;
}

async function missingPrevs(
  ctx: HearthContext,
  event: IdentifiedPdu,
  known?: ReadonlyMap<string, StoredEvent>,
): Promise<string[]> {
  const ids = prevEventIds(event);
  const stored = known ?? (await getEvents(ctx.db, ids));
  return ids.filter((id) => stored.get(id)?.stateGroupAfter == null);
}

/**
 * Fills the gap before `event`: missing prev events from `get_missing_events` (each processed as a
 * received PDU, oldest first), then, for prev events still unknown, their state from `state_ids`.
 */
async function fillGap(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  roomId: string,
  version: RoomVersion,
  event: IdentifiedPdu,
  opts: ReceiveOptions,
  known: ReadonlyMap<string, StoredEvent>,
): Promise<Map<string, Map<StateTupleKey, string>>> {
  const states = new Map<string, Map<StateTupleKey, string>>();
  // The usual case, every prev event stored with its state, is decided on what was already read;
  // otherwise it is read again, as another origin may have delivered a prev event meanwhile.
  if ((await missingPrevs(ctx, event, known)).length === 0) return states;
  let missing = await missingPrevs(ctx, event);
  if (missing.length === 0) return states;
  if (opts.fillGaps) {
    const earliest = (await getForwardExtremities(ctx.db, roomId)).map((e) => e.eventId);
    let events: JsonObject[] = [];
    try {
      events = await fetchMissingEvents(peers.client, origin, roomId, {
        earliest,
        latest: [event.event_id],
        limit: MISSING_EVENTS_LIMIT,
        minDepth: 0,
      });
    } catch (e) {
      if (!(e instanceof RemoteFetchError)) throw e;
    }
    const depth = (ev: JsonObject): number => (typeof ev.depth === "number" ? ev.depth : 0);
    for (const ev of events.sort((a, b) => depth(a) - depth(b))) {
      await receivePdu(ctx, peers, origin, ev, { fillGaps: false });
    }
    missing = await missingPrevs(ctx, event);
  }
  for (const id of missing) {
    try {
      states.set(id, await stateAfterRemotePrev(ctx, peers, origin, roomId, version, id));
    } catch (e) {
      if (e instanceof RemoteFetchError)
        throw new PduError(`could not fetch the state at ${id}: ${e.message}`);
      throw e;
    }
  }
  return states;
}

/** A PDU past the checks made before its room is locked: format, size, signatures, content hash. */
interface CheckedInput {
  roomId: string;
  version: RoomVersion;
  checked: CheckedPdu;
}

function isChecked(x: CheckedInput | PduResult): x is CheckedInput {
  return "checked" in x;
}

/** Steps 1–3 of the checks on receipt; a PDU failing them is answered as dropped. */
async function checkPdu(
  ctx: HearthContext,
  peers: FederationPeers,
  raw: JsonValue,
): Promise<CheckedInput | PduResult> {
  try {
    const roomId = claimedRoomId(raw);
    if (roomId === undefined || !isJsonObject(raw)) throw new PduError("PDU has no room id");
    const version = await roomVersion(ctx, roomId);
    return { roomId, version, checked: await checkReceivedPdu(peers.keyring, raw, version, roomId) };
  } catch (e) {
    if (e instanceof PduError || e instanceof DroppedPduError) {
      return { eventId: undefined, outcome: "dropped", error: e.message };
    }
    throw e;
  }
}

function resultOf(eventId: string, outcome: RemoteEventOutcome): PduResult {
  switch (outcome.status) {
    case "accepted":
    case "soft_failed":
      return { eventId, outcome: outcome.status };
    case "known":
      return outcome.reason === undefined
        ? { eventId, outcome: "known" }
        : { eventId, outcome: "known", error: `rejected: ${outcome.reason}` };
    case "rejected":
      return { eventId, outcome: "rejected", error: `rejected: ${outcome.reason}` };
    case "missing":
      return { eventId, outcome: "missing", error: outcome.reason };
  }
}

function ids(event: IdentifiedPdu): string[] {
  return [event.event_id, ...authEventIds(event), ...prevEventIds(event)];
}

/**
 * Runs one received PDU through the spec's checks in order and stores it: format and signatures
 * (drop), content hash (redact), auth events fetched if missing, prev events fetched or their state
 * fetched if missing, then auth against auth events and state before (reject) and current state (soft
 * fail). Idempotent: an event already stored is answered as it was.
 */
export async function receivePdu(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  raw: JsonValue,
  opts: ReceiveOptions = { fillGaps: true },
): Promise<PduResult> {
  const checked = await checkPdu(ctx, peers, raw);
  return isChecked(checked) ? receiveChecked(ctx, peers, origin, checked, opts) : checked;
}

/**
 * `receivePdu` for several PDUs, answered in order. Each room's consecutive PDUs are judged and stored
 * together, in one room write; any the run found missing auth or prev events (it wrote nothing for
 * those) then go through `receivePdu`'s steps one by one, gaps filled first.
 */
export async function receivePdus(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  raws: readonly JsonValue[],
  opts: ReceiveOptions = { fillGaps: true },
): Promise<PduResult[]> {
  const checked: (CheckedInput | PduResult)[] = [];
  for (const raw of raws) checked.push(await checkPdu(ctx, peers, raw));
  const results: PduResult[] = [];
  let run: { index: number; input: CheckedInput }[] = [];
  const flush = async (): Promise<void> => {
    if (run.length === 0) return;
    const { roomId, version } = run[0]!.input;
    const outcomes = await acceptRemoteEvents(
      ctx,
      roomId,
      version,
      run.map(({ input }) => ({
        roomId,
        version,
        event: input.checked.event,
        rejectedReason: input.checked.rejectedReason,
      })),
    );
    for (const [j, { index, input }] of run.entries()) {
      const outcome = outcomes[j]!;
      results[index] =
        outcome.status === "missing"
          ? await receiveChecked(ctx, peers, origin, input, opts)
          : resultOf(input.checked.event.event_id, outcome);
    }
    run = [];
  };
  for (const [index, c] of checked.entries()) {
    if (!isChecked(c)) {
      results[index] = c;
      continue;
    }
    if (run.length > 0 && run[0]!.input.roomId !== c.roomId) await flush();
    run.push({ index, input: c });
  }
  await flush();
  return results;
}

/** Steps 4 onwards for one PDU: missing auth and prev events fetched, then judged and stored. */
async function receiveChecked(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  input: CheckedInput,
  opts: ReceiveOptions,
): Promise<PduResult> {
  const { roomId, version, checked } = input;
  const event = checked.event;
  const eventId = event.event_id;
  try {
    // The event, its auth events and its prev events, in one read.
    const known = await getEvents(ctx.db, ids(event));
    const existing = known.get(eventId);
    if (existing && !existing.outlier) {
      return resultOf(eventId, { status: "known", reason: existing.rejectedReason ?? undefined });
    }
    await ensureAuthEvents(ctx, peers, origin, roomId, version, event, known);
    const prevStates = await fillGap(ctx, peers, origin, roomId, version, event, opts, known);
    const outcome = await acceptRemoteEvent(ctx, {
      roomId,
      version,
      event,
      rejectedReason: checked.rejectedReason,
      prevStates,
    });
    return resultOf(eventId, outcome);
  } catch (e) {
    if (e instanceof PduError || e instanceof DroppedPduError) {
      return { eventId, outcome: "dropped", error: e.message };
    }
    throw e;
  }
}
