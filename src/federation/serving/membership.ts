import { authTypesForEvent, checkAuth } from "../../core/auth-rules.ts";
import { domainOf } from "../../core/auth/identifiers.ts";
import { coSignEvent } from "../../core/co-sign.ts";
import { eventReference } from "../../core/event-reference.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../core/json.ts";
import type { IdentifiedPdu } from "../../core/pdu.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import { splitStateTupleKey, stateTupleKey, type StateTupleKey } from "../../core/state-key.ts";
import type { HearthContext } from "../../context.ts";
import { badJson, forbidden, MatrixError } from "../../errors.ts";
import { restrictedJoinAuthoriser } from "../../rooms/membership.ts";
import { acceptRemoteEvent } from "../../rooms/remote-events.ts";
import { STRIPPED_STATE_KEYS, strippedState } from "../../rooms/stripped-state.ts";
import { getAuthChainIds } from "../../storage/rooms/auth-chain.ts";
import { getCurrentStateEventId, getCurrentStateIds } from "../../storage/rooms/current-state.ts";
import { joinedServers } from "../../storage/rooms/directory.ts";
import { getEvent, getEvents, type StoredEvent } from "../../storage/rooms/events.ts";
import { getForwardExtremities } from "../../storage/rooms/forward-extremities.ts";
import { loadStateGroup } from "../../storage/rooms/state-groups.ts";
import { checkReceivedPdu, DroppedPduError } from "../inbound/check-pdu.ts";
import { ensureAuthEvents } from "../inbound/fetched-events.ts";
import type { FederationPeers } from "../inbound/peers.ts";
import { wirePdu } from "./event-reads.ts";
import { requireRoomForServer } from "./server-access.ts";

export type RemoteMembership = "join" | "leave" | "knock";

/** New events cite at most this many forward extremities (as local sends do). */
const MAX_PREV_EVENTS = 10;

export const incompatibleVersion = (version: RoomVersion): MatrixError =>
  new MatrixError(
    400,
    "M_INCOMPATIBLE_ROOM_VERSION",
    `Your server does not support room version ${version.id}`,
    {
      room_version: version.id,
    },
  );

/**
 * For a restricted room: a local user who may invite, to vouch for a join by `userId` (who is not
 * joined or invited yet) because they are in one of the rooms the join rule allows. Undefined when
 * the room is not restricted or the user needs no voucher; 400 when no one here can vouch.
 */
async function joinAuthoriser(
  ctx: HearthContext,
  version: RoomVersion,
  roomId: string,
  userId: string,
): Promise<string | undefined> {
  const stateEvent = async (type: string, stateKey: string): Promise<IdentifiedPdu | undefined> => {
    const id = await getCurrentStateEventId(ctx.db, roomId, type, stateKey);
    return id === undefined ? undefined : (await getEvent(ctx.db, id))?.pdu;
  };
  const rule = (await stateEvent("m.room.join_rules", ""))?.content.join_rule;
  const restricted =
    (rule === "restricted" && version.restrictedJoins) ||
    (rule === "knock_restricted" && version.knockRestricted);
  if (!restricted) return undefined;
  const current = (await stateEvent("m.room.member", userId))?.content.membership;
  if (current === "join" || current === "invite") return undefined;
  const createEvent = await stateEvent("m.room.create", "");
  if (!createEvent) throw new Error(`room ${roomId} has no create event`);
  const authoriser = await restrictedJoinAuthoriser(
    ctx,
    { version, roomId, createEvent, stateEvent, tx: ctx.db },
    userId,
  );
  if (!authoriser) {
    throw new MatrixError(
      400,
      "M_UNABLE_TO_AUTHORISE_JOIN",
      "The user is not in any room the join rule allows, or no user here may invite them",
    );
  }
  return authoriser;
}

/**
 * `make_join` / `make_leave` / `make_knock`: an unsigned member event template for `userId` on the
 * room's forward extremities and current state, after checking the room version is one the joining
 * server supports (`ver`; absent means only "1") and that the auth rules would allow the event now.
 */
export async function makeMembershipTemplate(
  ctx: HearthContext,
  origin: string,
  roomId: string,
  userId: string,
  membership: RemoteMembership,
  supportedVersions: readonly string[] | undefined,
): Promise<JsonObject> {
  const version = await requireRoomForServer(ctx, roomId, origin);
  if (domainOf(userId) !== origin) throw forbidden("The user is not on the requesting server");
  if (membership !== "leave" && !(supportedVersions ?? ["1"]).includes(version.id)) {
    throw incompatibleVersion(version);
  }
  if (membership === "knock" && !version.knock) throw incompatibleVersion(version);

  const extremities = (await getForwardExtremities(ctx.db, roomId)).slice(0, MAX_PREV_EVENTS);
  const prevs = await getEvents(
    ctx.db,
    extremities.map((e) => e.eventId),
  );
  const content: JsonObject = { membership };
  if (membership === "join") {
    const authoriser = await joinAuthoriser(ctx, version, roomId, userId);
    if (authoriser) content.join_authorised_via_users_server = authoriser;
  }
  const authKeys = authTypesForEvent(version, {
    type: "m.room.member",
    sender: userId,
    state_key: userId,
    content,
  }).map(([t, k]) => stateTupleKey(t, k));
  const current = await getCurrentStateIds(ctx.db, roomId);
  const createKey = stateTupleKey("m.room.create", "");
  const stateEvents = await getEvents(
    ctx.db,
    [...authKeys, createKey].flatMap((k) => current.get(k) ?? []),
  );
  const authState = new Map<StateTupleKey, IdentifiedPdu>();
  for (const k of [...authKeys, createKey]) {
    const ev = stateEvents.get(current.get(k) ?? "");
    if (ev) authState.set(k, ev.pdu);
  }
  const template: JsonObject = {
    type: "m.room.member",
    room_id: roomId,
    sender: userId,
    state_key: userId,
    content,
    depth: Math.max(0, ...extremities.map((e) => e.depth)) + 1,
    origin: ctx.serverName,
    origin_server_ts: ctx.clock(),
    prev_events: extremities.flatMap((e) => {
      const ev = prevs.get(e.eventId);
      return ev ? [eventReference(version, ev.pdu)] : [];
    }),
    auth_events: authKeys.flatMap((k) => {
      const ev = authState.get(k);
      return ev ? [eventReference(version, ev)] : [];
    }),
  };
  // Would the rules allow it now? Refuse early rather than hand out a template that will be rejected.
  const probe = { ...(template as unknown as IdentifiedPdu), event_id: "$probe" };
  const allowed = checkAuth(version, probe, authState);
  if (!allowed.allowed) throw forbidden(`You are not allowed to ${membership} this room: ${allowed.reason}`);
  return { room_version: version.id, event: template };
}

/**
 * The checks `send_join` / `send_leave` / `send_knock` make before the pipeline: a member event of
 * the expected membership for a user of the origin, under the id in the path. Then it is accepted as
 * any received PDU (signatures, hash, auth) and must not be rejected or soft-failed.
 */
async function acceptMembershipEvent(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  roomId: string,
  eventId: string,
  raw: JsonValue | undefined,
  membership: RemoteMembership,
): Promise<{ version: RoomVersion; event: IdentifiedPdu; stored: StoredEvent }> {
  const version = await requireRoomForServer(ctx, roomId, origin);
  if (!isJsonObject(raw)) throw badJson("The body must be the signed event");
  const content = isJsonObject(raw.content) ? raw.content : {};
  if (raw.type !== "m.room.member" || content.membership !== membership) {
    throw badJson(`The event must be an m.room.member event with membership ${membership}`);
  }
  if (typeof raw.sender !== "string" || raw.state_key !== raw.sender) {
    throw badJson("The event's state_key must be its sender");
  }
  if (domainOf(raw.sender) !== origin) throw forbidden("The sender is not on the requesting server");
  // A restricted join one of our users vouches for needs our signature, which only we can add.
  if (
    membership === "join" &&
    typeof content.join_authorised_via_users_server === "string" &&
    domainOf(content.join_authorised_via_users_server) === ctx.serverName
  ) {
    raw = coSignEvent(raw, version, ctx.serverName, ctx.keys.current);
  }
  let checked;
  try {
    checked = await checkReceivedPdu(peers.keyring, raw, version, roomId);
  } catch (e) {
    if (e instanceof DroppedPduError) throw badJson(e.message);
    throw e;
  }
  if (checked.event.event_id !== eventId) throw badJson("The event id does not match the path");
  if (checked.redacted) throw badJson("The event's content hash does not match");
  await ensureAuthEvents(ctx, peers, origin, roomId, version, checked.event);
  const outcome = await acceptRemoteEvent(ctx, { roomId, version, event: checked.event, fanOut: true });
  if (outcome.status === "rejected" || (outcome.status === "known" && outcome.reason !== undefined)) {
    throw forbidden(`The event was rejected: ${outcome.reason ?? ""}`);
  }
  if (outcome.status === "soft_failed")
    throw forbidden("The event is not allowed by the room's current state");
  if (outcome.status === "missing") throw badJson(outcome.reason);
  const stored = await getEvent(ctx.db, eventId);
  if (!stored) throw new Error(`accepted event ${eventId} is not stored`);
  return { version, event: checked.event, stored };
}

/** `send_join` v2: accept the join, then answer with the state before it and its auth chain. */
export async function sendJoin(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  roomId: string,
  eventId: string,
  raw: JsonValue | undefined,
  omitMembers: boolean,
): Promise<JsonObject> {
  const { version, event, stored } = await acceptMembershipEvent(
    ctx,
    peers,
    origin,
    roomId,
    eventId,
    raw,
    "join",
  );
  const state =
    stored.stateGroupBefore === null ? new Map() : await loadStateGroup(ctx.db, stored.stateGroupBefore);
  const stateIds = [...state]
    .filter(([k]) => !omitMembers || splitStateTupleKey(k)[0] !== "m.room.member")
    .map(([, id]) => id);
  const authChainIds = (await getAuthChainIds(ctx.db, [...stateIds, eventId])).filter(
    (id) => !stateIds.includes(id),
  );
  const events = await getEvents(ctx.db, [...stateIds, ...authChainIds]);
  const wire = (ids: readonly string[]) =>
    ids.flatMap((id) => {
      const ev = events.get(id);
      return ev ? [wirePdu(version, ev)] : [];
    });
  const servers = await joinedServers(ctx.db, roomId);
  return {
    origin: ctx.serverName,
    state: wire(stateIds),
    auth_chain: wire(authChainIds),
    // Our signature too: needed when one of our users authorised a restricted join, harmless otherwise.
    event: coSignEvent(
      wirePdu(version, { ...stored, pdu: event }),
      version,
      ctx.serverName,
      ctx.keys.current,
    ),
    members_omitted: omitMembers,
    servers_in_room: servers.includes(ctx.serverName) ? servers : [ctx.serverName, ...servers],
  };
}

/** `send_leave` v2. */
export async function sendLeave(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  roomId: string,
  eventId: string,
  raw: JsonValue | undefined,
): Promise<JsonObject> {
  await acceptMembershipEvent(ctx, peers, origin, roomId, eventId, raw, "leave");
  return {};
}

/** `send_knock`: accept the knock, answer with the stripped state (with the full create event). */
export async function sendKnock(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  roomId: string,
  eventId: string,
  raw: JsonValue | undefined,
): Promise<JsonObject> {
  const { version } = await acceptMembershipEvent(ctx, peers, origin, roomId, eventId, raw, "knock");
  const current = await getCurrentStateIds(ctx.db, roomId);
  const ids = STRIPPED_STATE_KEYS.flatMap((k) => current.get(k) ?? []);
  const events = await getEvents(ctx.db, ids);
  const stripped: JsonObject[] = [];
  for (const id of ids) {
    const ev = events.get(id);
    if (!ev) continue;
    // The create event travels whole (v1.16, MSC4311), so the knocking server can check the room.
    stripped.push(ev.pdu.type === "m.room.create" ? wirePdu(version, ev) : strippedState([ev.pdu])[0]!);
  }
  return { knock_room_state: stripped };
}
