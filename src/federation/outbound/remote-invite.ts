import { domainOf } from "../../core/auth/identifiers.ts";
import { checkContentHash, computeEventId } from "../../core/hashes.ts";
import { isJsonObject, type JsonObject } from "../../core/json.ts";
import type { IdentifiedPdu, Pdu } from "../../core/pdu.ts";
import { redactEvent } from "../../core/redaction.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import type { HearthContext } from "../../context.ts";
import { MatrixError } from "../../errors.ts";
import { federationPdu } from "../../rooms/build-event.ts";
import { SignatureVerificationError } from "../contracts.ts";
import { finalError, RemoteServerError, remoteJson } from "./remote-server-error.ts";

const enc = encodeURIComponent;

/**
 * `PUT /v2/invite` to the invitee's server, before the invite enters the room: that server may refuse
 * (its answer is relayed), and must return our event with its own signature added, which is checked.
 * `roomState` (the stripped-state events) travels as full PDUs, as the spec requires since v1.16.
 * Returns the event to store: ours, with the invitee's server's signature, and our unsigned data.
 */
export async function sendRemoteInvite(
  ctx: HearthContext,
  version: RoomVersion,
  event: IdentifiedPdu,
  roomState: readonly IdentifiedPdu[],
): Promise<IdentifiedPdu> {
  const invitee = typeof event.state_key === "string" ? event.state_key : "";
  const server = domainOf(invitee);
  if (server === undefined) throw new MatrixError(400, "M_INVALID_PARAM", "The invitee has no server");
  const unsigned = isJsonObject(event.unsigned) ? event.unsigned : {};
  const inviteRoomState = roomState.map((e) => federationPdu(version, e));
  const { unsigned: _u, ...wire } = federationPdu(version, event);
  const fail = (why: string): MatrixError =>
    finalError(new RemoteServerError(server, `${server} answered the invite ${why}`, false));
  let body: JsonObject;
  try {
    body = await remoteJson(ctx.federation.client, {
      destination: server,
      method: "PUT",
      path: `/_matrix/federation/v2/invite/${enc(event.room_id as string)}/${enc(event.event_id)}`,
      body: { event: wire, room_version: version.id, invite_room_state: inviteRoomState },
    });
  } catch (e) {
    if (e instanceof RemoteServerError) throw finalError(e);
    throw e;
  }
  const returned = body.event;
  if (!isJsonObject(returned)) throw fail("without the event");
  const { unsigned: _theirs, ...signed } = returned;
  let sameEvent = false;
  try {
    sameEvent = computeEventId(signed, version) === event.event_id && checkContentHash(signed, version);
  } catch {
    sameEvent = false;
  }
  if (!sameEvent) throw fail("with an event other than the one sent");
  const redacted = redactEvent(signed, version);
  if (version.eventIdFormat !== "v1") delete redacted.event_id;
  try {
    await ctx.federation.keyring.verifyServerSignature(server, redacted, event.origin_server_ts);
  } catch (e) {
    if (e instanceof SignatureVerificationError) throw fail(`without a valid signature: ${e.message}`);
    throw e;
  }
  return { ...(signed as Pdu), event_id: event.event_id, unsigned };
}
