import { checkAgainstAuthEvents } from "../../core/auth/received-event.ts";
import type { JsonObject } from "../../core/json.ts";
import { authEventIds, type IdentifiedPdu } from "../../core/pdu.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import type { HearthContext } from "../../context.ts";
import { storeOutliers, type OutlierInput } from "../../rooms/remote-events.ts";
import { getEvent, getEvents, type StoredEvent } from "../../storage/rooms/events.ts";
import { checkReceivedPdu, DroppedPduError } from "./check-pdu.ts";
import type { FederationPeers } from "./peers.ts";
import { fetchRemoteAuthChain, fetchRemoteEvent, RemoteFetchError } from "./remote-events.ts";

/** How many single-event fetches run at once when filling in state or auth chains. */
const FETCH_CONCURRENCY = 10;

/** Fetched events after the checks: what to store as outliers, and what was dropped and why. */
export interface JudgedEvents {
  /** Checked events not stored yet, in auth-chain order, each with its rejection if auth failed. */
  outliers: OutlierInput[];
  /** Reasons for the events that failed format, signature or id checks (not stored at all). */
  dropped: string[];
  /** Ids of the events that are now judged (stored before, or in `outliers`). */
  ids: Set<string>;
}

/**
 * Checks events fetched from another server (format, signatures, hash; then each against its own
 * auth events, in auth-chain order) and stores them as outliers. Events that fail the first checks
 * are dropped; ones whose auth fails are stored rejected. Returns the ids now stored.
 */
export async function storeFetchedEvents(
  ctx: HearthContext,
  peers: FederationPeers,
  roomId: string,
  version: RoomVersion,
  raws: readonly JsonObject[],
): Promise<Set<string>> {
  const judged = await judgeFetchedEvents(ctx, peers, roomId, version, raws);
  await storeOutliers(ctx, roomId, version, judged.outliers);
  return judged.ids;
}

/**
 * The checks of `storeFetchedEvents` without the storing, for callers that store the events in a
 * write of their own (a join stores the room's state together with the join event).
 */
export async function judgeFetchedEvents(
  ctx: HearthContext,
  peers: FederationPeers,
  roomId: string,
  version: RoomVersion,
  raws: readonly JsonObject[],
): Promise<JudgedEvents> {
  const checked = new Map<string, IdentifiedPdu>();
  const dropped: string[] = [];
  for (const raw of raws) {
    try {
      const { event } = await checkReceivedPdu(peers.keyring, raw, version, roomId);
      checked.set(event.event_id, event);
    } catch (e) {
      if (!(e instanceof DroppedPduError)) throw e;
      dropped.push(e.message);
    }
  }
  const stored = await getEvents(ctx.db, [
    ...checked.keys(),
    ...[...checked.values()].flatMap((e) => authEventIds(e)),
  ]);
  const create = version.roomIdFromCreateEvent
    ? (checked.get(`$${roomId.slice(1)}`) ?? (await getEvent(ctx.db, `$${roomId.slice(1)}`))?.pdu)
    : undefined;
  // Auth-chain order: an event is judged once all of its auth events are (depth-first over the batch).
  const judged = new Map<string, { event: IdentifiedPdu; rejected: boolean }>();
  const out: OutlierInput[] = [];
  const visiting = new Set<string>();
  const judge = (id: string): { event: IdentifiedPdu; rejected: boolean } | undefined => {
    const done = judged.get(id);
    if (done) return done;
    const known = stored.get(id);
    if (known) return { event: known.pdu, rejected: known.rejectedReason !== null };
    const event = checked.get(id);
    if (!event || visiting.has(id)) return undefined;
    visiting.add(id);
    const auth = authEventIds(event).map(judge);
    visiting.delete(id);
    let reason: string | undefined;
    if (auth.some((a) => a === undefined)) {
      reason = "auth events unavailable";
    } else {
      const authEvents = auth.map((a) => a!.event);
      const rejected = new Set(auth.filter((a) => a!.rejected).map((a) => a!.event.event_id));
      const createEvent = version.roomIdFromCreateEvent
        ? create
        : authEvents.find((e) => e.type === "m.room.create");
      const result = checkAgainstAuthEvents(version, event, authEvents, rejected, createEvent);
      if (!result.allowed) reason = result.reason;
    }
    const entry = { event, rejected: reason !== undefined };
    judged.set(id, entry);
    out.push(reason === undefined ? { event } : { event, rejectedReason: reason });
    return entry;
  };
  for (const id of checked.keys()) if (!stored.has(id)) judge(id);
  return { outliers: out, dropped, ids: new Set([...stored.keys(), ...judged.keys()]) };
}

/** Fetches the given events one by one from `origin` (failures skipped), a few at a time. */
export async function fetchEvents(
  peers: FederationPeers,
  origin: string,
  ids: readonly string[],
): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  for (let i = 0; i < ids.length; i += FETCH_CONCURRENCY) {
    const batch = await Promise.all(
      ids.slice(i, i + FETCH_CONCURRENCY).map((id) =>
        fetchRemoteEvent(peers.client, origin, id).catch((e: unknown) => {
          if (e instanceof RemoteFetchError) return undefined;
          throw e;
        }),
      ),
    );
    for (const pdu of batch) if (pdu) out.push(pdu);
  }
  return out;
}

/** Ids among `ids` this server has not stored (in any form). */
export async function unknownIds(ctx: HearthContext, ids: readonly string[]): Promise<string[]> {
  const known = await getEvents(ctx.db, ids);
  return [...new Set(ids)].filter((id) => !known.has(id));
}

/**
 * Makes sure every auth event `event` cites is stored: the origin's auth chain for the event first
 * (`/event_auth`), then single `/event` fetches for whatever is still missing.
 */
export async function ensureAuthEvents(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  roomId: string,
  version: RoomVersion,
  event: IdentifiedPdu,
  /** Events already read for this event (its auth events among them), saving a lookup. */
  known?: ReadonlyMap<string, StoredEvent>,
): Promise<void> {
  const authIds = authEventIds(event);
  let missing = known ? [...new Set(authIds)].filter((id) => !known.has(id)) : await unknownIds(ctx, authIds);
  if (missing.length === 0) return;
  try {
    const chain = await fetchRemoteAuthChain(peers.client, origin, roomId, event.event_id);
    await storeFetchedEvents(ctx, peers, roomId, version, chain);
  } catch (e) {
    if (!(e instanceof RemoteFetchError)) throw e;
  }
  missing = await unknownIds(ctx, missing);
  if (missing.length === 0) return;
  await storeFetchedEvents(ctx, peers, roomId, version, await fetchEvents(peers, origin, missing));
}
