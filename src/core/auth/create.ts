import type { IdentifiedPdu } from "../pdu.ts";
import { getRoomVersion, type RoomVersion } from "../room-versions.ts";
import { domainOf, isValidUserId } from "./identifiers.ts";
import { ALLOW, deny, type AuthResult } from "./result.ts";

/** Auth rule 1: `m.room.create`. Nothing else in the rules applies to a create event. */
export function checkCreate(version: RoomVersion, event: IdentifiedPdu): AuthResult {
  // Not a numbered rule: a create event that is not the ("m.room.create", "") state can never be the
  // room's create event, and other servers reject it too.
  if (event.state_key !== "") return deny("m.room.create must have an empty state_key");
  if (!Array.isArray(event.prev_events) || event.prev_events.length > 0) {
    return deny("m.room.create must not have prev_events");
  }
  if (version.roomIdFromCreateEvent) {
    if (event.room_id !== undefined)
      return deny("m.room.create must not have a room_id in this room version");
  } else {
    const roomId = event.room_id;
    if (typeof roomId !== "string" || !roomId.startsWith("!") || domainOf(roomId) === undefined) {
      return deny("m.room.create has no valid room_id");
    }
    if (domainOf(roomId) !== domainOf(event.sender)) {
      return deny("room_id domain does not match the sender's domain");
    }
  }
  const roomVersion = event.content.room_version;
  if (
    roomVersion !== undefined &&
    (typeof roomVersion !== "string" || getRoomVersion(roomVersion) === undefined)
  ) {
    return deny("content.room_version is not a recognised room version");
  }
  if (!version.implicitRoomCreator && event.content.creator === undefined) {
    return deny("content has no creator");
  }
  if (version.privilegedCreators && event.content.additional_creators !== undefined) {
    const additional = event.content.additional_creators;
    if (!Array.isArray(additional) || !additional.every((id) => isValidUserId(id))) {
      return deny("content.additional_creators must be an array of valid user ids");
    }
  }
  return ALLOW;
}
