import { domainOf } from "../../core/auth/identifiers.ts";
import { coSignEvent } from "../../core/co-sign.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../core/json.ts";
import { getRoomVersion } from "../../core/room-versions.ts";
import type { HearthContext } from "../../context.ts";
import { forbidden, invalidParam, MatrixError, notFound } from "../../errors.ts";
import { federationPdu } from "../../rooms/build-event.ts";
import { storeRemoteInvite } from "../../rooms/remote-invite.ts";
import { findUser } from "../../storage/accounts/users.ts";
import { checkReceivedPdu, claimedRoomId, DroppedPduError } from "../inbound/check-pdu.ts";
import type { FederationPeers } from "../inbound/peers.ts";
import { isServerAllowedInRoom } from "../inbound/room-acl.ts";

/**
 * `PUT /v2/invite/{roomId}/{eventId}` (and v1, whose body is the bare event of a v1/v2 room): checks
 * the invite (a member event with membership invite, from a user of the origin, for a user of ours,
 * validly signed and hashed), checks `invite_room_state` carries the room's create event, signs the
 * event, stores it for the invitee, and returns it.
 */
export async function receiveInvite(
  ctx: HearthContext,
  peers: FederationPeers,
  origin: string,
  roomId: string,
  eventId: string,
  body: { roomVersion: string; event: JsonValue | undefined; inviteRoomState: JsonValue | undefined },
): Promise<JsonObject> {
  const version = getRoomVersion(body.roomVersion);
  if (!version) {
    throw new MatrixError(
      400,
      "M_INCOMPATIBLE_ROOM_VERSION",
      `Unsupported room version ${body.roomVersion}`,
      {
        room_version: body.roomVersion,
      },
    );
  }
  const raw = body.event;
  if (!isJsonObject(raw)) throw invalidParam("'event' must be the invite event");
  const content = isJsonObject(raw.content) ? raw.content : {};
  if (raw.type !== "m.room.member" || content.membership !== "invite") {
    throw invalidParam("The event must be an m.room.member invite");
  }
  if (typeof raw.state_key !== "string" || domainOf(raw.state_key) !== ctx.serverName) {
    throw invalidParam("The invited user is not on this server");
  }
  if (typeof raw.sender !== "string" || domainOf(raw.sender) !== origin) {
    throw invalidParam("The inviter is not on the requesting server");
  }
  if (!(await findUser(ctx.db, raw.state_key))) throw notFound("Unknown user");
  if (!(await isServerAllowedInRoom(ctx, roomId, origin)))
    throw forbidden("Server is banned by the room's ACL");
  let checked;
  try {
    checked = await checkReceivedPdu(peers.keyring, raw, version, roomId);
  } catch (e) {
    if (e instanceof DroppedPduError) throw invalidParam(e.message);
    throw e;
  }
  if (checked.event.event_id !== eventId) throw invalidParam("The event id does not match the path");
  if (checked.redacted) throw invalidParam("The event's content hash does not match");

  const state = Array.isArray(body.inviteRoomState) ? body.inviteRoomState.filter(isJsonObject) : [];
  const create = state.find((e) => e.type === "m.room.create" && e.state_key === "");
  // Required in v12 (room ids derive from it); earlier versions may omit it (spec v1.16: MAY check).
  if (version.roomIdFromCreateEvent && !create) {
    throw invalidParam("invite_room_state must include the room's m.room.create event");
  }
  if (create) {
    if (claimedRoomId(create) !== roomId)
      throw invalidParam("invite_room_state's create event is for another room");
    if (isJsonObject(create.signatures)) {
      try {
        await checkReceivedPdu(peers.keyring, create, version, roomId);
      } catch (e) {
        if (e instanceof DroppedPduError) throw invalidParam(`invite_room_state create event: ${e.message}`);
        throw e;
      }
    }
  }
  const signed = coSignEvent(checked.event, version, ctx.serverName, ctx.keys.current);
  await storeRemoteInvite(ctx, {
    roomId,
    version,
    event: signed,
    inviteRoomState: state,
    creator: typeof create?.sender === "string" ? create.sender : signed.sender,
  });
  return { event: federationPdu(version, signed) };
}
