import { domainOf } from "../../core/auth/identifiers.ts";
import { computeEventId } from "../../core/hashes.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../core/json.ts";
import type { HearthContext } from "../../context.ts";
import { badJson } from "../../errors.ts";
import { roomVersions } from "../../rooms/room-versions.ts";
import {
  getReceivedTransaction,
  recordReceivedTransaction,
} from "../../storage/federation/received-transactions.ts";
import { parseJson } from "../../core/canonical-json.ts";
import { encodeCanonicalJson } from "../../core/canonical-json.ts";
import { claimedRoomId } from "./check-pdu.ts";
import type { FederationPeers } from "./peers.ts";
import { receivePdus } from "./receive-pdu.ts";
import { isServerAllowedInRoom } from "./room-acl.ts";
import type { InboundRuntime } from "./runtime.ts";

export const MAX_PDUS = 50;
export const MAX_EDUS = 100;

type PduAnswer = { eventId: string | undefined; answer: JsonObject };

async function eventIdOf(
  ctx: HearthContext,
  raw: JsonValue,
  roomId: string | undefined,
): Promise<string | undefined> {
  if (!isJsonObject(raw) || roomId === undefined) return undefined;
  const version = (await roomVersions(ctx, [roomId])).get(roomId);
  if (!version) return undefined;
  try {
    return computeEventId(raw, version);
  } catch {
    return undefined;
  }
}

/**
 * A user's own join, leave or knock, which the resident server that accepted it through send_join,
 * send_leave or send_knock passes on to the rest of the room on the user's server's behalf (as Synapse
 * does). Its signatures are still checked for the sender's server; nothing else may be relayed.
 */
function isRelayedMembership(raw: JsonValue): boolean {
  if (!isJsonObject(raw) || raw.type !== "m.room.member" || raw.state_key !== raw.sender) return false;
  const membership = isJsonObject(raw.content) ? raw.content.membership : undefined;
  return membership === "join" || membership === "leave" || membership === "knock";
}

/** Why /send refuses a PDU before the pipeline: a sender not of the origin (nor relayed), or none. */
function senderRefusal(origin: string, raw: JsonValue): string | undefined {
  const sender = isJsonObject(raw) && typeof raw.sender === "string" ? raw.sender : undefined;
  if (sender === undefined || (domainOf(sender) !== origin && !isRelayedMembership(raw))) {
    return "sender is not on the origin server";
  }
  return undefined;
}

function isAclEvent(raw: JsonValue): boolean {
  return isJsonObject(raw) && raw.type === "m.room.server_acl" && raw.state_key === "";
}

/**
 * One room's PDUs of a transaction, in order: the origin and ACL checks that only /send makes, then
 * the pipeline, which stores runs of them together. The ACL is judged once per run; a run ends after
 * an ACL event, so the PDUs behind it are judged by the ACL it may have set.
 */
async function handleRoom(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  group: readonly JsonValue[],
): Promise<PduAnswer[]> {
  const roomId = claimedRoomId(group[0]!);
  const refused = async (raw: JsonValue, error: string): Promise<PduAnswer> => ({
    eventId: await eventIdOf(ctx, raw, roomId),
    answer: { error },
  });
  const answers: PduAnswer[] = [];
  let start = 0;
  while (start < group.length) {
    let end = start;
    while (end < group.length - 1 && !isAclEvent(group[end]!)) end += 1;
    const slice = group.slice(start, end + 1);
    start = end + 1;
    const allowed = roomId === undefined || (await isServerAllowedInRoom(ctx, roomId, origin));
    const passed: JsonValue[] = [];
    const slots: (PduAnswer | undefined)[] = [];
    for (const raw of slice) {
      const refusal =
        senderRefusal(origin, raw) ?? (allowed ? undefined : "server is banned by the room's ACL");
      if (refusal === undefined) passed.push(raw);
      slots.push(refusal === undefined ? undefined : await refused(raw, refusal));
    }
    const results = await receivePdus(ctx, peers, origin, passed);
    let next = 0;
    for (const [i, slot] of slots.entries()) {
      if (slot) {
        answers.push(slot);
        continue;
      }
      const result = results[next++]!;
      answers.push({
        // A PDU dropped before its id was settled (e.g. a bad signature) is still answered by its id.
        eventId: result.eventId ?? (await eventIdOf(ctx, slice[i]!, roomId)),
        answer: result.error === undefined ? {} : { error: result.error },
      });
    }
  }
  return answers;
}

/** PDUs grouped by the room they claim, each group in transaction order. */
function byRoom(pdus: readonly JsonValue[]): JsonValue[][] {
  const groups = new Map<string, JsonValue[]>();
  for (const raw of pdus) {
    const key = claimedRoomId(raw) ?? "";
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(raw);
  }
  return [...groups.values()];
}

async function process(
  ctx: HearthContext,
  peers: FederationPeers,
  runtime: InboundRuntime,
  origin: string,
  pdus: readonly JsonValue[],
  edus: readonly JsonValue[],
): Promise<JsonObject> {
  const results: JsonObject = {};
  // Rooms are independent: in parallel; within a room, in order, since later events build on earlier.
  await Promise.all(
    byRoom(pdus).map(async (group) => {
      for (const { eventId, answer } of await handleRoom(ctx, peers, origin, group)) {
        if (eventId !== undefined) results[eventId] = answer;
      }
    }),
  );
  for (const edu of edus) {
    if (!isJsonObject(edu) || typeof edu.edu_type !== "string" || !isJsonObject(edu.content)) continue;
    await runtime.edus.dispatch(ctx, origin, edu.edu_type, edu.content);
  }
  return { pdus: results };
}

/**
 * `PUT /send/{txnId}` from `origin`: at most 50 PDUs and 100 EDUs, answered with a result per PDU.
 * A transaction is processed once: a retry gets the recorded answer, and one arriving while the first
 * attempt runs waits for it. Transactions queue per origin, served fairly across origins.
 */
export async function processTransaction(
  ctx: HearthContext,
  peers: FederationPeers,
  runtime: InboundRuntime,
  origin: string,
  txnId: string,
  body: JsonObject,
): Promise<JsonObject> {
  const pdus = body.pdus ?? [];
  const edus = body.edus ?? [];
  if (!Array.isArray(pdus) || !Array.isArray(edus)) throw badJson("pdus and edus must be arrays");
  if (pdus.length > MAX_PDUS) throw badJson(`A transaction holds at most ${MAX_PDUS} PDUs`);
  if (edus.length > MAX_EDUS) throw badJson(`A transaction holds at most ${MAX_EDUS} EDUs`);

  const key = `${origin}\u0000${txnId}`;
  const running = runtime.inFlight.get(key);
  if (running) return (await running) as JsonObject;
  const work = runtime.queue.run(origin, async () => {
    const recorded = await getReceivedTransaction(ctx.db, origin, txnId);
    if (recorded !== undefined) return parseJson(recorded) as JsonObject;
    const response = await process(ctx, peers, runtime, origin, pdus, edus);
    await recordReceivedTransaction(ctx.db, {
      origin,
      txnId,
      response: encodeCanonicalJson(response, { strict: false }),
      receivedTs: ctx.clock(),
    });
    return response;
  });
  runtime.inFlight.set(key, work);
  try {
    return await work;
  } finally {
    runtime.inFlight.delete(key);
  }
}
