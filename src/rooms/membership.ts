import { domainOf } from "../core/auth/identifiers.ts";
import type { JsonObject } from "../core/json.ts";
import type { IdentifiedPdu } from "../core/pdu.ts";
import { parsePowerLevels, userPowerLevel } from "../core/power-levels.ts";
import { stateTupleKey } from "../core/state-key.ts";
import type { HearthContext } from "../context.ts";
import { forbidden, MatrixError } from "../errors.ts";
import { candidateServers, joinRemoteRoom } from "../federation/outbound/remote-join.ts";
import { sendRemoteInvite } from "../federation/outbound/remote-invite.ts";
import { leaveRemoteRoom } from "../federation/outbound/remote-leave.ts";
import { getRoomVersion } from "../core/room-versions.ts";
import { getEvent } from "../storage/rooms/events.ts";
import { getCurrentMembership, getRoomMembers } from "../storage/rooms/memberships.ts";
import { hasJoinedMemberOn } from "../storage/federation/room-servers.ts";
import { joinedServers } from "../storage/rooms/directory.ts";
import { getRoom } from "../storage/rooms/rooms.ts";
import { refuseBlockedRoom } from "./blocked-rooms.ts";
import type { EventDraft } from "./build-event.ts";
import { memberContent } from "./member-content.ts";
import {
  sendLocalEvent,
  type Prepared,
  type RoomView,
  type SendRequest,
  type SendResult,
} from "./send-event.ts";
import { STRIPPED_STATE_KEYS, strippedState } from "./stripped-state.ts";

/** The membership endpoints; each has its own no-op and pre-check semantics. */
export type MembershipAction = "join" | "invite" | "leave" | "kick" | "ban" | "unban" | "knock";

export interface MembershipRequest {
  roomId: string;
  sender: string;
  target: string;
  action: MembershipAction;
  reason?: string;
  /** Guests may only join rooms whose guest_access is can_join. */
  isGuest?: boolean;
  /** Servers to join through when this server is not in the room (`via`, an alias's servers), in order. */
  servers?: readonly string[];
}

const MEMBERSHIP_OF: Record<MembershipAction, string> = {
  join: "join",
  invite: "invite",
  leave: "leave",
  kick: "leave",
  ban: "ban",
  unban: "leave",
  knock: "knock",
};

async function membershipOf(
  view: RoomView,
  userId: string,
): Promise<{ membership?: string; eventId?: string }> {
  const ev = await view.stateEvent("m.room.member", userId);
  const m = ev?.content.membership;
  return { membership: typeof m === "string" ? m : undefined, eventId: ev?.event_id };
}

/** The state events invitees and knockers see, with the sender's own member event (who invited). */
async function roomSummaryEvents(view: RoomView, sender: string): Promise<IdentifiedPdu[]> {
  const keys = [...STRIPPED_STATE_KEYS, stateTupleKey("m.room.member", sender)];
  const events = await view.stateEvents(keys);
  return keys.map((k) => events.get(k)).filter((e) => e !== undefined);
}

/** Stripped state for invites and knocks, with the sender's own member event (clients show who invited). */
async function roomSummaryFor(view: RoomView, sender: string): Promise<JsonObject[]> {
  return strippedState(await roomSummaryEvents(view, sender));
}

/** A remote invitee's server signs the invite first, given the room summary as PDUs. */
function countersignInvite(ctx: HearthContext, sender: string): SendRequest["countersign"] {
  return {
    gather: (view) => roomSummaryEvents(view, sender),
    sign: (event, version, summary) => sendRemoteInvite(ctx, version, event, summary),
  };
}

/**
 * For a join under a `restricted` / `knock_restricted` rule by someone not invited: a local member who
 * may invite, to name in join_authorised_via_users_server, provided the user is joined to one of the
 * rooms the rule allows. Undefined when the rule does not apply or no condition is met (the auth
 * rules then refuse the join with their reason).
 */
export async function restrictedJoinAuthoriser(
  ctx: HearthContext,
  view: Pick<RoomView, "version" | "roomId" | "createEvent" | "stateEvent" | "tx">,
  userId: string,
): Promise<string | undefined> {
  const rules = await view.stateEvent("m.room.join_rules", "");
  const rule = rules?.content.join_rule;
  const applies =
    (rule === "restricted" && view.version.restrictedJoins) ||
    (rule === "knock_restricted" && view.version.knockRestricted);
  if (!rules || !applies) return undefined;
  const allow = Array.isArray(rules.content.allow) ? rules.content.allow : [];
  let satisfied = false;
  for (const entry of allow) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) continue;
    const e = entry as JsonObject;
    if (e.type !== "m.room_membership" || typeof e.room_id !== "string" || e.room_id.includes("\u0000"))
      continue;
    if ((await getCurrentMembership(ctx.db, e.room_id, userId))?.membership === "join") {
      satisfied = true;
      break;
    }
  }
  if (!satisfied) return undefined;
  const pl = await view.stateEvent("m.room.power_levels", "");
  const inviteLevel = parsePowerLevels(pl?.content, view.version).invite;
  for (const member of await getRoomMembers(view.tx, view.roomId, ["join"])) {
    if (domainOf(member.userId) !== ctx.serverName) continue;
    if (userPowerLevel(view.version, member.userId, pl, view.createEvent) >= inviteLevel)
      return member.userId;
  }
  return undefined;
}

/** What a membership endpoint sends, after its own checks; an existing event id for no-ops. */
async function prepareMembership(
  ctx: HearthContext,
  req: MembershipRequest,
  view: RoomView,
  profileContent: Promise<JsonObject> | undefined,
): Promise<Prepared | undefined> {
  const withProfile = (membership: string): Promise<JsonObject> =>
    profileContent ?? memberContent(ctx, req.target, membership);
  const target = await membershipOf(view, req.target);
  const membership = MEMBERSHIP_OF[req.action];
  let content: JsonObject = { membership };
  let unsigned: JsonObject | undefined;
  switch (req.action) {
    case "join": {
      if (target.membership === "join" && target.eventId) return { existingEventId: target.eventId };
      if (req.isGuest) {
        const access = await view.stateEvent("m.room.guest_access", "");
        if (access?.content.guest_access !== "can_join") {
          throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests may not join this room");
        }
      }
      content = await withProfile("join");
      if (target.membership !== "invite") {
        const authoriser = await restrictedJoinAuthoriser(ctx, view, req.target);
        if (authoriser !== undefined) content.join_authorised_via_users_server = authoriser;
      }
      break;
    }
    case "invite":
      if (target.membership === "invite" && target.eventId) return { existingEventId: target.eventId };
      if (target.membership === "join") throw forbidden(`${req.target} is already in the room`);
      if (target.membership === "ban") throw forbidden(`${req.target} is banned from the room`);
      content = await withProfile("invite");
      unsigned = { invite_room_state: await roomSummaryFor(view, req.sender) };
      break;
    case "leave":
      if (target.membership === "leave" && target.eventId) return { existingEventId: target.eventId };
      if (target.membership === undefined) throw forbidden("You are not in this room");
      break;
    case "kick":
      if (target.membership !== "join" && target.membership !== "invite" && target.membership !== "knock") {
        throw forbidden(`${req.target} is not in the room`);
      }
      break;
    case "unban":
      if (target.membership !== "ban") throw forbidden(`${req.target} is not banned`);
      break;
    case "ban":
      break;
    case "knock":
      content = await withProfile("knock");
      unsigned = { knock_room_state: await roomSummaryFor(view, req.sender) };
      break;
  }
  if (req.reason !== undefined) content.reason = req.reason;
  const draft: EventDraft = { type: "m.room.member", stateKey: req.target, content };
  if (unsigned) draft.unsigned = unsigned;
  return { draft };
}

/**
 * The servers to join through when this server has no joined member in the room (it is unknown, or
 * everyone here left): the client's, the inviter's, those of the room's members, the room id's. None
 * for a known room no other server is in: the local writer then decides.
 */
async function remoteJoinServers(ctx: HearthContext, req: MembershipRequest): Promise<string[] | undefined> {
  if (await hasJoinedMemberOn(ctx.db, req.roomId, ctx.serverName)) return undefined;
  const joined = await joinedServers(ctx.db, req.roomId);
  const servers = [...(req.servers ?? [])];
  const current = await getCurrentMembership(ctx.db, req.roomId, req.target);
  if (current?.membership === "invite") {
    const invite = await getEvent(ctx.db, current.eventId);
    const inviter = invite && domainOf(invite.pdu.sender);
    if (inviter) servers.push(inviter);
  }
  servers.push(...joined);
  const roomServer = domainOf(req.roomId);
  if (roomServer) servers.push(roomServer);
  const candidates = candidateServers(ctx, servers);
  if (candidates.length === 0 && (await getRoom(ctx.db, req.roomId))) return undefined;
  return candidates;
}

/**
 * Leaving a room this server is not in, where the user only holds an invite or a knock: the leave
 * goes through the room's servers (the inviter's first). Undefined when the local writer decides.
 */
async function leaveUnjoinedRoom(
  ctx: HearthContext,
  req: MembershipRequest,
): Promise<SendResult | undefined> {
  const current = await getCurrentMembership(ctx.db, req.roomId, req.target);
  if (current?.membership !== "invite" && current?.membership !== "knock") return undefined;
  if (await hasJoinedMemberOn(ctx.db, req.roomId, ctx.serverName)) return undefined;
  const room = await getRoom(ctx.db, req.roomId);
  const version = room && getRoomVersion(room.roomVersion);
  const event = await getEvent(ctx.db, current.eventId);
  if (!version || !event) return undefined;
  const servers = [domainOf(event.pdu.sender), domainOf(req.roomId)].filter((s) => s !== undefined);
  const content: JsonObject = req.reason === undefined ? {} : { reason: req.reason };
  const { eventId } = await leaveRemoteRoom(ctx, {
    roomId: req.roomId,
    userId: req.target,
    membershipEvent: event.pdu,
    version,
    servers,
    content,
  });
  return { eventId, created: true };
}

/** A membership endpoint (/join, /invite, /leave, /kick, /ban, /unban, /knock); remote rooms go remote. */
export async function updateMembership(ctx: HearthContext, req: MembershipRequest): Promise<SendResult> {
  await refuseBlockedRoom(ctx, req.roomId, MEMBERSHIP_OF[req.action]);
  if (req.action === "join" && req.target === req.sender) {
    const servers = await remoteJoinServers(ctx, req);
    if (servers !== undefined) {
      const content = await memberContent(ctx, req.target, "join");
      if (req.reason !== undefined) content.reason = req.reason;
      const { eventId } = await joinRemoteRoom(ctx, {
        roomId: req.roomId,
        userId: req.target,
        servers,
        content,
      });
      return { eventId, created: true };
    }
  }
  if (req.action === "leave" && req.target === req.sender) {
    const left = await leaveUnjoinedRoom(ctx, req);
    if (left) return left;
  }
  const remoteInvitee = req.action === "invite" && domainOf(req.target) !== ctx.serverName;
  // The global profile is no room state: read it while waiting for the room's lock, not under it. The
  // catch only keeps an unused read (a no-op join) from being an unhandled rejection.
  const profileContent =
    req.action === "join" || req.action === "invite" || req.action === "knock"
      ? memberContent(ctx, req.target, MEMBERSHIP_OF[req.action])
      : undefined;
  profileContent?.catch(() => undefined);
  return sendLocalEvent(ctx, {
    roomId: req.roomId,
    sender: req.sender,
    draft: {
      type: "m.room.member",
      stateKey: req.target,
      content: { membership: MEMBERSHIP_OF[req.action] },
    },
    prepare: (view) => prepareMembership(ctx, req, view, profileContent),
    countersign: remoteInvitee ? countersignInvite(ctx, req.sender) : undefined,
  });
}

/**
 * PUT /state/m.room.member/{userId}: the client writes the content itself (per-room display names,
 * custom fields); invites still carry stripped state and restricted joins their authoriser.
 */
export async function setMemberState(
  ctx: HearthContext,
  req: { roomId: string; sender: string; target: string; content: JsonObject },
): Promise<SendResult> {
  const membership = req.content.membership;
  await refuseBlockedRoom(ctx, req.roomId, membership);
  const remoteInvitee = membership === "invite" && domainOf(req.target) !== ctx.serverName;
  return sendLocalEvent(ctx, {
    roomId: req.roomId,
    sender: req.sender,
    draft: { type: "m.room.member", stateKey: req.target, content: req.content },
    dedupeState: true,
    prepare: async (view) => {
      const draft: EventDraft = { type: "m.room.member", stateKey: req.target, content: { ...req.content } };
      if (membership === "invite")
        draft.unsigned = { invite_room_state: await roomSummaryFor(view, req.sender) };
      if (membership === "knock")
        draft.unsigned = { knock_room_state: await roomSummaryFor(view, req.sender) };
      if (membership === "join" && req.content.join_authorised_via_users_server === undefined) {
        const current = await membershipOf(view, req.target);
        if (current.membership !== "join" && current.membership !== "invite") {
          const authoriser = await restrictedJoinAuthoriser(ctx, view, req.target);
          if (authoriser !== undefined) draft.content.join_authorised_via_users_server = authoriser;
        }
      }
      return { draft };
    },
    countersign: remoteInvitee ? countersignInvite(ctx, req.sender) : undefined,
  });
}
