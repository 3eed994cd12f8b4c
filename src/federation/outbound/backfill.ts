import type { HearthContext } from "../../context.ts";
import { isJsonObject, type JsonObject } from "../../core/json.ts";
import { prevEventIds } from "../../core/pdu.ts";
import type { StateTupleKey } from "../../core/state-key.ts";
import { domainOf } from "../../core/auth/identifiers.ts";
import { acceptRemoteEvent } from "../../rooms/remote-events.ts";
import { roomVersions } from "../../rooms/room-versions.ts";
import { allocateBackfillOrderings, backwardExtremities } from "../../storage/rooms/backfill.ts";
import { getEvents } from "../../storage/rooms/events.ts";
import { joinedServers } from "../../storage/federation/room-servers.ts";
import { checkReceivedPdu, DroppedPduError, type CheckedPdu } from "../inbound/check-pdu.ts";
import { ensureAuthEvents } from "../inbound/fetched-events.ts";
import { stateAfterRemotePrev } from "../inbound/receive-pdu.ts";

/** Backward extremities named in one request (Synapse sends a handful too). */
const MAX_EXTREMITIES = 5;
/** How long a client's /messages waits on one server's backfill answer. */
const BACKFILL_TIMEOUT_MS = 10_000;

const enc = encodeURIComponent;

/**
 * Fetches history this server lacks, up to `limit` events before the room's backward extremities
 * with a depth in `depths` (the part of the timeline a client is paging through), from the other
 * servers in the room (the extremities' senders' servers first), and stores what passes the checks as
 * backfilled history. Returns how many events were stored; 0 when there is nothing to fetch or no
 * server answered. Never throws for a remote failure: the client then gets the history this server has.
 */
export async function backfillRoom(
  ctx: HearthContext,
  roomId: string,
  depths: { min: number; max: number },
  limit: number,
): Promise<number> {
  // A room of this server's users alone has nobody to ask: skip the extremity scan.
  const others = (await joinedServers(ctx.db, roomId)).filter((s) => s !== ctx.serverName);
  if (others.length === 0) return 0;
  const extremities = await backwardExtremities(ctx.db, roomId, depths, MAX_EXTREMITIES);
  if (extremities.length === 0) return 0;
  const version = (await roomVersions(ctx, [roomId])).get(roomId);
  if (!version) return 0;
  const ids = extremities.map((e) => e.eventId);
  const servers = await candidateServers(ctx, ids, others);
  const query = `${ids.map((id) => `v=${enc(id)}`).join("&")}&limit=${limit}`;
  for (const server of servers) {
    let pdus: JsonObject[];
    try {
      const res = await ctx.federation.client.request({
        destination: server,
        method: "GET",
        path: `/_matrix/federation/v1/backfill/${enc(roomId)}?${query}`,
        timeoutMs: BACKFILL_TIMEOUT_MS,
      });
      if (res.status !== 200 || !isJsonObject(res.body) || !Array.isArray(res.body.pdus)) continue;
      pdus = res.body.pdus.filter(isJsonObject);
    } catch (err) {
      ctx.log.info({ err, server, roomId }, "backfill request failed; trying the next server");
      continue;
    }
    const stored = await storeBackfilled(ctx, server, roomId, pdus);
    if (stored > 0) return stored;
  }
  return 0;
}

/** The servers to ask: those of the extremities' senders first (they hold the history), then the rest. */
async function candidateServers(
  ctx: HearthContext,
  extremityIds: string[],
  others: readonly string[],
): Promise<string[]> {
  const events = await getEvents(ctx.db, extremityIds);
  const first = [...events.values()].flatMap((e) => domainOf(e.pdu.sender) ?? []);
  return [...new Set([...first, ...others])].filter((s) => s !== ctx.serverName);
}

/**
 * Runs the backfilled PDUs through the checks on receipt, oldest first: format, signatures and hash
 * (dropped otherwise), auth events fetched if missing, the state before each from its prev events
 * (fetched with state_ids when a prev event is missing), auth against auth events and that state
 * (rejected otherwise). Each is stored as history at a stream ordering below everything held.
 */
async function storeBackfilled(
  ctx: HearthContext,
  server: string,
  roomId: string,
  raws: readonly JsonObject[],
): Promise<number> {
  const version = (await roomVersions(ctx, [roomId])).get(roomId)!;
  const checked: CheckedPdu[] = [];
  for (const raw of raws) {
    try {
      checked.push(await checkReceivedPdu(ctx.federation.keyring, raw, version, roomId));
    } catch (e) {
      if (!(e instanceof DroppedPduError)) throw e;
      ctx.log.info({ server, roomId, reason: e.message }, "dropped a backfilled event");
    }
  }
  const known = await getEvents(
    ctx.db,
    checked.map((c) => c.event.event_id),
  );
  const fresh = checked
    .filter((c) => !(known.get(c.event.event_id) && !known.get(c.event.event_id)!.outlier))
    .sort((a, b) => a.event.depth - b.event.depth);
  const orderings = await allocateBackfillOrderings(ctx.db, fresh.length);
  let stored = 0;
  for (const [i, { event, rejectedReason }] of fresh.entries()) {
    try {
      await ensureAuthEvents(ctx, ctx.federation, server, roomId, version, event);
      const prevStates = new Map<string, Map<StateTupleKey, string>>();
      const prevs = await getEvents(ctx.db, prevEventIds(event));
      for (const id of prevEventIds(event)) {
        if (prevs.get(id)?.stateGroupAfter != null) continue;
        prevStates.set(id, await stateAfterRemotePrev(ctx, ctx.federation, server, roomId, version, id));
      }
      const outcome = await acceptRemoteEvent(ctx, {
        roomId,
        version,
        event,
        rejectedReason,
        prevStates,
        backfill: { streamOrdering: orderings[i]! },
      });
      if (outcome.status === "accepted") stored++;
    } catch (err) {
      // One event whose state or auth chain cannot be had does not stop the older ones.
      ctx.log.info({ err, server, eventId: event.event_id }, "could not store a backfilled event");
    }
  }
  return stored;
}
