import { checkAuth } from "../../core/auth-rules.ts";
import { checkAgainstAuthEvents } from "../../core/auth/received-event.ts";
import { identifyPdu } from "../../core/hashes.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../core/json.ts";
import { authEventIds, stateKeyOf, type IdentifiedPdu, type Pdu } from "../../core/pdu.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import { stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { HearthContext } from "../../context.ts";
import type { OutlierInput } from "../../rooms/remote-events.ts";
import { getEvents } from "../../storage/rooms/events.ts";
import { checkReceivedPdu, DroppedPduError } from "../inbound/check-pdu.ts";
import { judgeFetchedEvents } from "../inbound/fetched-events.ts";
import { RemoteServerError } from "./remote-server-error.ts";

/** A send_join response that checked out: what to store, and the state the join event is built on. */
export interface CheckedJoin {
  joinEvent: IdentifiedPdu;
  /** The state before the join event, by (type, state key). */
  state: Map<StateTupleKey, string>;
  /** State and auth chain events this server had not stored, in auth-chain order. */
  outliers: OutlierInput[];
  create: IdentifiedPdu;
}

function objectList(server: string, value: JsonValue | undefined, field: string): JsonObject[] {
  if (!Array.isArray(value) || !value.every(isJsonObject)) {
    throw new RemoteServerError(server, `${server}'s send_join response has no valid '${field}' list`, true);
  }
  return value;
}

/**
 * Checks a send_join v2 response before anything is stored: every state and auth chain event passes
 * the format, signature and hash checks and its own auth events (which must all be there), the state
 * holds the room's create event of the version make_join named, and the join event is allowed by that
 * state. Any failure fails this server's answer as a whole: a room joined on part of its state would
 * be wrong in ways nothing later repairs.
 */
export async function checkSendJoinResponse(
  ctx: HearthContext,
  server: string,
  version: RoomVersion,
  joinEvent: IdentifiedPdu,
  body: JsonObject,
): Promise<CheckedJoin> {
  const roomId = joinEvent.room_id as string;
  const fail = (why: string): RemoteServerError =>
    new RemoteServerError(server, `${server}'s send_join response ${why}`, true);
  const stateRaws = objectList(server, body.state, "state");
  const chainRaws = objectList(server, body.auth_chain, "auth_chain");

  // The resident may have added its signature (restricted joins): take its copy if it is still ours.
  let join = joinEvent;
  if (isJsonObject(body.event)) {
    let theirs: IdentifiedPdu;
    try {
      theirs = (await checkReceivedPdu(ctx.federation.keyring, body.event, version, roomId)).event;
    } catch (e) {
      if (e instanceof DroppedPduError) throw fail(`has a join event that fails the checks: ${e.message}`);
      throw e;
    }
    if (theirs.event_id !== joinEvent.event_id) throw fail("has a join event that is not the one sent");
    join = theirs;
  }

  const judged = await judgeFetchedEvents(ctx, ctx.federation, roomId, version, [...chainRaws, ...stateRaws]);
  if (judged.dropped.length > 0) {
    throw fail(`has ${judged.dropped.length} event(s) that fail the checks (${judged.dropped[0]})`);
  }
  const rejected = judged.outliers.find((o) => o.rejectedReason !== undefined);
  if (rejected) {
    throw fail(`has event ${rejected.event.event_id} that fails auth: ${rejected.rejectedReason}`);
  }

  const fresh = new Map(judged.outliers.map((o) => [o.event.event_id, o.event]));
  const stateIds = stateRaws.map((raw) => identifyPdu(raw as Pdu, version).event_id);
  const known = await getEvents(
    ctx.db,
    [...stateIds, ...authEventIds(join)].filter((id) => !fresh.has(id)),
  );
  const eventOf = (id: string): IdentifiedPdu | undefined => fresh.get(id) ?? known.get(id)?.pdu;

  const state = new Map<StateTupleKey, string>();
  const stateEvents = new Map<StateTupleKey, IdentifiedPdu>();
  for (const id of stateIds) {
    const ev = eventOf(id);
    const key = ev && stateKeyOf(ev);
    if (!ev || key === undefined) throw fail(`lists ${id} in the state, which is not a state event`);
    state.set(stateTupleKey(ev.type, key), id);
    stateEvents.set(stateTupleKey(ev.type, key), ev);
  }
  const create = stateEvents.get(stateTupleKey("m.room.create", ""));
  if (!create) throw fail("has no create event in the state");
  const createdVersion = create.content.room_version ?? "1";
  if (createdVersion !== version.id) {
    throw fail(`has a create event of version ${String(createdVersion)}, not ${version.id}`);
  }

  const joinAuth = authEventIds(join).map(eventOf);
  if (joinAuth.some((e) => e === undefined)) throw fail("lacks auth events of the join event");
  const byAuth = checkAgainstAuthEvents(version, join, joinAuth as IdentifiedPdu[], new Set(), create);
  if (!byAuth.allowed) throw fail(`makes the join fail auth against its auth events: ${byAuth.reason}`);
  const byState = checkAuth(version, join, stateEvents);
  if (!byState.allowed) throw fail(`has a state that does not allow the join: ${byState.reason}`);
  return { joinEvent: join, state, outliers: judged.outliers, create };
}
