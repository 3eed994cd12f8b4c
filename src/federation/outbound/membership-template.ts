import { randomBytes } from "node:crypto";
import { EventFormatError, assertValidPdu } from "../../core/event-format.ts";
import { hashSignAndIdentify } from "../../core/hashes.ts";
import { isJsonObject, type JsonObject } from "../../core/json.ts";
import type { IdentifiedPdu } from "../../core/pdu.ts";
import { getRoomVersion, ROOM_VERSIONS, type RoomVersion } from "../../core/room-versions.ts";
import type { HearthContext } from "../../context.ts";
import { MatrixError } from "../../errors.ts";
import { federationPdu } from "../../rooms/build-event.ts";
import { RemoteServerError, remoteJson } from "./remote-server-error.ts";

export type RemoteMembership = "join" | "leave";

const enc = encodeURIComponent;

/** `?ver=1&ver=2…`: every room version this server can join, so the resident picks none we cannot. */
export function supportedVersionsQuery(): string {
  return [...ROOM_VERSIONS.keys()].map((v) => `ver=${enc(v)}`).join("&");
}

/**
 * `make_join` / `make_leave` on `server`: the event template the resident server proposes, checked to
 * be the membership asked for, of this user, in this room, and in a room version we support.
 */
export async function makeMembership(
  ctx: HearthContext,
  server: string,
  roomId: string,
  userId: string,
  membership: RemoteMembership,
): Promise<{ version: RoomVersion; template: JsonObject }> {
  const query = membership === "join" ? `?${supportedVersionsQuery()}` : "";
  const body = await remoteJson(ctx.federation.client, {
    destination: server,
    method: "GET",
    path: `/_matrix/federation/v1/make_${membership}/${enc(roomId)}/${enc(userId)}${query}`,
  });
  // The spec: a response without room_version is a version 1 room.
  const versionId = body.room_version ?? "1";
  if (typeof versionId !== "string") {
    throw new RemoteServerError(
      server,
      `${server} sent a make_${membership} room_version that is not a string`,
      true,
    );
  }
  const version = getRoomVersion(versionId);
  if (!version) {
    throw new MatrixError(
      400,
      "M_UNSUPPORTED_ROOM_VERSION",
      `The room is in version ${JSON.stringify(versionId).slice(0, 40)}, which this server does not support`,
    );
  }
  const template = body.event;
  const bad = (why: string): RemoteServerError =>
    new RemoteServerError(server, `${server} sent a bad make_${membership} template: ${why}`, true);
  if (!isJsonObject(template)) throw bad("no event");
  if (template.type !== "m.room.member") throw bad("not an m.room.member event");
  if (template.room_id !== roomId) throw bad("for another room");
  if (template.state_key !== userId) throw bad("for another user");
  if (template.sender !== userId) throw bad("sent by another user");
  if (!isJsonObject(template.content) || template.content.membership !== membership) {
    throw bad(`membership is not ${membership}`);
  }
  return { version, template };
}

/**
 * Our membership event from the resident's template: its room, depth, prev and auth events, with our
 * content (profile, reason) over the template's (which may name a restricted-join authoriser), our
 * timestamp, hash and signature.
 */
export function eventFromTemplate(
  ctx: HearthContext,
  server: string,
  version: RoomVersion,
  template: JsonObject,
  content: JsonObject,
): IdentifiedPdu {
  const { signatures: _s, hashes: _h, unsigned: _u, event_id: _id, ...rest } = template;
  const pdu: JsonObject = {
    ...rest,
    content: { ...(template.content as JsonObject), ...content },
    origin_server_ts: ctx.clock(),
  };
  if ("origin" in pdu) pdu.origin = ctx.serverName;
  if (version.eventIdFormat === "v1")
    pdu.event_id = `$${randomBytes(18).toString("base64url")}:${ctx.serverName}`;
  // Checked once hashed and signed: templates come without either, and the format requires both.
  try {
    const { pdu: signed, eventId } = hashSignAndIdentify(pdu, version, ctx.serverName, ctx.keys.current);
    assertValidPdu(signed, version);
    return { ...signed, event_id: eventId };
  } catch (e) {
    if (e instanceof EventFormatError || e instanceof TypeError) {
      throw new RemoteServerError(
        server,
        `${server} sent a template that is not a valid event: ${e.message}`,
        true,
      );
    }
    throw e;
  }
}

/** `send_join` / `send_leave` v2 with the signed event; the response body (send_join: state and auth chain). */
export async function sendMembership(
  ctx: HearthContext,
  server: string,
  version: RoomVersion,
  event: IdentifiedPdu,
  membership: RemoteMembership,
): Promise<JsonObject> {
  return remoteJson(ctx.federation.client, {
    destination: server,
    method: "PUT",
    path: `/_matrix/federation/v2/send_${membership}/${enc(event.room_id as string)}/${enc(event.event_id)}`,
    body: federationPdu(version, event),
  });
}
