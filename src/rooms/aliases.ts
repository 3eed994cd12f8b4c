import { queryRemoteAlias } from "../federation/outbound/remote-queries.ts";
import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { forbidden, invalidParam, MatrixError, notFound } from "../errors.ts";
import type { Requester } from "../http/auth.ts";
import {
  deleteAlias,
  getAlias,
  getRoomPublished,
  joinedServers,
  roomAliases,
} from "../storage/rooms/directory.ts";
import { getCurrentStateEventId } from "../storage/rooms/current-state.ts";
import { getEvents } from "../storage/rooms/events.ts";
import { getCurrentMembership } from "../storage/rooms/membership-history.ts";
import { insertAlias } from "../storage/rooms/room-aliases.ts";
import { hasStatePower } from "./power-check.ts";
import { currentHistoryVisibility } from "./read-access.ts";
import { sendLocalEvent } from "./send-event.ts";
import { parseRoomAlias, type ParsedAlias } from "./room-alias.ts";

type DirectoryContext = Pick<HearthContext, "db" | "serverName" | "clock" | "rooms">;

function requireAlias(text: string): ParsedAlias {
  const parsed = parseRoomAlias(text);
  if (!parsed) throw invalidParam("Room alias invalid");
  return parsed;
}

async function isJoined(ctx: DirectoryContext, roomId: string, userId: string): Promise<boolean> {
  return (await getCurrentMembership(ctx.db, roomId, userId))?.membership === "join";
}

/**
 * PUT /directory/room/{roomAlias}: only aliases on this server, only by a member of the room (server
 * admins excepted), and guests never. A taken alias is 409 M_UNKNOWN, as the spec says.
 */
export async function createAlias(
  ctx: DirectoryContext,
  requester: Requester,
  aliasText: string,
  roomId: string,
): Promise<void> {
  const alias = requireAlias(aliasText);
  if (alias.domain !== ctx.serverName) throw invalidParam("Room alias must be on this server");
  if (requester.isGuest) throw forbidden("Guests cannot create room aliases");
  if ((await getRoomPublished(ctx.db, roomId)) === undefined) throw notFound("Room not found");
  if (!requester.isAdmin && !(await isJoined(ctx, roomId, requester.userId))) {
    throw forbidden("You must be joined to the room to give it an alias");
  }
  const created = await insertAlias(ctx.db, {
    alias: alias.alias,
    roomId,
    creator: requester.userId,
    createdTs: ctx.clock(),
  });
  if (!created) throw new MatrixError(409, "M_UNKNOWN", `Room alias ${alias.alias} already exists.`);
}

/**
 * GET /directory/room/{roomAlias} for clients: another server's alias is asked of that server
 * (query/directory); this server's from its own directory.
 */
export async function resolveAnyAlias(
  ctx: DirectoryContext & Pick<HearthContext, "federation">,
  aliasText: string,
): Promise<{ room_id: string; servers: string[] }> {
  const alias = requireAlias(aliasText);
  if (alias.domain !== ctx.serverName) return queryRemoteAlias(ctx, alias.alias, alias.domain);
  return resolveAlias(ctx, aliasText);
}

/** An alias of this server (what query/directory serves other servers): unknown ones are 404. */
export async function resolveAlias(
  ctx: DirectoryContext,
  aliasText: string,
): Promise<{ room_id: string; servers: string[] }> {
  const alias = requireAlias(aliasText);
  const row = alias.domain === ctx.serverName ? await getAlias(ctx.db, alias.alias) : undefined;
  if (!row) throw notFound(`Room alias ${alias.alias} not found.`);
  const servers = (await joinedServers(ctx.db, row.roomId)).filter((s) => s !== ctx.serverName);
  return { room_id: row.roomId, servers: [ctx.serverName, ...servers.sort()] };
}

/**
 * After an alias is deleted, the room's m.room.canonical_alias stops advertising it (as Synapse does:
 * clients would otherwise show and share an alias that no longer resolves), sent by the user who
 * deleted it. Someone without the power to change that event leaves it as it is.
 */
async function dropFromCanonicalAlias(
  ctx: HearthContext,
  roomId: string,
  alias: string,
  userId: string,
): Promise<void> {
  const id = await getCurrentStateEventId(ctx.db, roomId, "m.room.canonical_alias", "");
  const content = id === undefined ? undefined : (await getEvents(ctx.db, [id])).get(id)?.pdu.content;
  if (!isJsonObject(content)) return;
  const alt = Array.isArray(content.alt_aliases) ? content.alt_aliases : undefined;
  if (content.alias !== alias && !alt?.includes(alias)) return;
  const next: JsonObject = { ...content };
  if (next.alias === alias) delete next.alias;
  if (alt) next.alt_aliases = alt.filter((a) => a !== alias);
  try {
    await sendLocalEvent(ctx, {
      roomId,
      sender: userId,
      draft: { type: "m.room.canonical_alias", stateKey: "", content: next },
    });
  } catch (e) {
    if (!(e instanceof MatrixError)) throw e;
    ctx.log.info({ roomId, alias, reason: e.message }, "alias deleted but m.room.canonical_alias kept it");
  }
}

/**
 * DELETE /directory/room/{roomAlias}: the alias's creator, a server admin, or a joined member with the
 * power to change m.room.canonical_alias (the room's moderators). The alias then leaves the room's
 * canonical alias event too, where the deleting user may change it.
 */
export async function removeAlias(
  ctx: HearthContext,
  requester: Requester,
  aliasText: string,
): Promise<void> {
  const alias = requireAlias(aliasText);
  const row = await getAlias(ctx.db, alias.alias);
  if (!row) throw notFound(`Room alias ${alias.alias} not found.`);
  const allowed =
    requester.isAdmin ||
    row.creator === requester.userId ||
    ((await isJoined(ctx, row.roomId, requester.userId)) &&
      (await hasStatePower(ctx, row.roomId, requester.userId, "m.room.canonical_alias")));
  if (!allowed) throw forbidden("You may not delete this alias");
  await deleteAlias(ctx.db, alias.alias);
  await dropFromCanonicalAlias(ctx, row.roomId, alias.alias, requester.userId);
}

/** GET /rooms/{roomId}/aliases: joined members, or anyone when the room is world_readable. */
export async function listLocalAliases(
  ctx: DirectoryContext,
  requester: Requester,
  roomId: string,
): Promise<{ aliases: string[] }> {
  const allowed =
    requester.isAdmin ||
    (await isJoined(ctx, roomId, requester.userId)) ||
    (await currentHistoryVisibility(ctx, roomId)) === "world_readable";
  if (!allowed) throw forbidden("You are not a member of the room.");
  return { aliases: await roomAliases(ctx.db, roomId) };
}
