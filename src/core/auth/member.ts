import { prevEventIds } from "../pdu.ts";
import { roomCreators } from "../power-levels.ts";
import type { AuthContext } from "./context.ts";
import { domainOf } from "./identifiers.ts";
import type { AuthOptions } from "./options.ts";
import { ALLOW, deny, type AuthResult } from "./result.ts";
import { checkThirdPartyInvite, type JsonSignatureVerifier } from "./third-party-invite.ts";

/** Auth rule "If type is m.room.member" (v1 rule 5, v6–v11 rule 4, v12 rule 5), with its sub-rules in order. */
export function checkMember(
  ctx: AuthContext,
  options: AuthOptions,
  verify: JsonSignatureVerifier,
): AuthResult {
  const { event } = ctx;
  const membership = event.content.membership;
  if (typeof event.state_key !== "string") return deny("m.room.member has no state_key");
  if (membership === undefined) return deny("m.room.member has no content.membership");

  if (ctx.version.restrictedJoins && event.content.join_authorised_via_users_server !== undefined) {
    const authoriser = event.content.join_authorised_via_users_server;
    const server = typeof authoriser === "string" ? domainOf(authoriser) : undefined;
    if (
      options.isSignedByServer !== undefined &&
      (server === undefined || !options.isSignedByServer(event, server))
    ) {
      return deny("event is not signed by the server of join_authorised_via_users_server");
    }
  }

  switch (membership) {
    case "join":
      return checkJoin(ctx);
    case "invite":
      return checkInvite(ctx, verify);
    case "leave":
      return checkLeave(ctx);
    case "ban":
      return checkBan(ctx);
    case "knock":
      if (ctx.version.knock) return checkKnock(ctx);
      break;
  }
  return deny(`unknown membership ${JSON.stringify(membership)}`);
}

function checkJoin(ctx: AuthContext): AuthResult {
  const { event, version } = ctx;
  const target = event.state_key as string;
  // "The only previous event is the m.room.create event and the state_key is the creator": the
  // creator is content.creator before v11 and the create event's sender from v11 (roomCreators()[0]).
  const prev = prevEventIds(event);
  if (
    event.prev_events.length === 1 &&
    prev.length === 1 &&
    prev[0] === ctx.create.event_id &&
    target === roomCreators(version, ctx.create)[0]
  ) {
    return ALLOW;
  }
  if (event.sender !== target) return deny("sender does not match state_key for a join");
  const current = ctx.membership(target);
  if (current === "ban") return deny("sender is banned");

  const rule = ctx.joinRule();
  if (rule === "invite" || (version.knock && rule === "knock")) {
    if (current === "invite" || current === "join") return ALLOW;
    return deny(`join rule is ${rule} and the sender is not invited or joined`);
  }
  if (
    (version.restrictedJoins && rule === "restricted") ||
    (version.knockRestricted && rule === "knock_restricted")
  ) {
    if (current === "invite" || current === "join") return ALLOW;
    const authoriser = event.content.join_authorised_via_users_server;
    if (typeof authoriser !== "string")
      return deny(`join rule is ${rule} and no join_authorised_via_users_server`);
    if (ctx.membership(authoriser) !== "join") return deny("join_authorised_via_users_server is not joined");
    if (ctx.powerLevel(authoriser) < ctx.powerLevels.invite) {
      return deny("join_authorised_via_users_server cannot invite users");
    }
    return ALLOW;
  }
  if (rule === "public") return ALLOW;
  return deny(`join rule ${JSON.stringify(rule ?? null)} does not allow the join`);
}

function checkInvite(ctx: AuthContext, verify: JsonSignatureVerifier): AuthResult {
  const { event } = ctx;
  if (event.content.third_party_invite !== undefined) {
    return checkThirdPartyInvite(ctx, event.content.third_party_invite, verify);
  }
  if (ctx.membership(event.sender) !== "join") return deny("inviter is not joined");
  const target = ctx.membership(event.state_key as string);
  if (target === "join" || target === "ban") return deny(`invitee is already ${target}`);
  if (ctx.powerLevel(event.sender) >= ctx.powerLevels.invite) return ALLOW;
  return deny("inviter's power level is below the invite level");
}

function checkLeave(ctx: AuthContext): AuthResult {
  const { event, version } = ctx;
  const target = event.state_key as string;
  const targetMembership = ctx.membership(target);
  if (event.sender === target) {
    if (targetMembership === "invite" || targetMembership === "join") return ALLOW;
    if (version.knock && targetMembership === "knock") return ALLOW;
    return deny("cannot leave without being invited, joined or knocking");
  }
  if (ctx.membership(event.sender) !== "join") return deny("sender of a kick is not joined");
  const senderLevel = ctx.powerLevel(event.sender);
  if (targetMembership === "ban" && senderLevel < ctx.powerLevels.ban) {
    return deny("sender's power level is below the ban level needed to unban");
  }
  if (senderLevel >= ctx.powerLevels.kick && ctx.powerLevel(target) < senderLevel) return ALLOW;
  return deny("sender's power level is below the kick level or not above the target's");
}

function checkBan(ctx: AuthContext): AuthResult {
  const { event } = ctx;
  if (ctx.membership(event.sender) !== "join") return deny("sender of a ban is not joined");
  const senderLevel = ctx.powerLevel(event.sender);
  if (senderLevel >= ctx.powerLevels.ban && ctx.powerLevel(event.state_key as string) < senderLevel)
    return ALLOW;
  return deny("sender's power level is below the ban level or not above the target's");
}

function checkKnock(ctx: AuthContext): AuthResult {
  const { event, version } = ctx;
  const rule = ctx.joinRule();
  if (!(rule === "knock" || (version.knockRestricted && rule === "knock_restricted"))) {
    return deny(`join rule ${JSON.stringify(rule ?? null)} does not allow knocking`);
  }
  if (event.sender !== event.state_key) return deny("sender does not match state_key for a knock");
  const current = ctx.membership(event.sender);
  if (current !== "ban" && current !== "invite" && current !== "join") return ALLOW;
  return deny(`cannot knock while ${current}`);
}
