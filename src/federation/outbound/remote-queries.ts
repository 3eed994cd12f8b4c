import { isJsonObject, type JsonObject } from "../../core/json.ts";
import type { HearthContext } from "../../context.ts";
import { notFound } from "../../errors.ts";
import { finalError, RemoteServerError, remoteJson } from "./remote-server-error.ts";

const enc = encodeURIComponent;

/** A remote server's M_NOT_FOUND is the answer, not a failure to relay as 502. */
async function query(
  ctx: Pick<HearthContext, "federation">,
  server: string,
  path: string,
  what: string,
): Promise<JsonObject> {
  try {
    return await remoteJson(ctx.federation.client, { destination: server, method: "GET", path });
  } catch (e) {
    if (!(e instanceof RemoteServerError)) throw e;
    if (e.message.includes("M_NOT_FOUND")) throw notFound(`${what} not found`);
    throw finalError(e);
  }
}

/**
 * `query/directory` on the alias's server: the room id and the servers to join it through (the alias's
 * own server first when it did not list itself, since it answered for the room).
 */
export async function queryRemoteAlias(
  ctx: Pick<HearthContext, "federation">,
  alias: string,
  server: string,
): Promise<{ room_id: string; servers: string[] }> {
  const body = await query(
    ctx,
    server,
    `/_matrix/federation/v1/query/directory?room_alias=${enc(alias)}`,
    `Room alias ${alias}`,
  );
  const roomId = body.room_id;
  if (typeof roomId !== "string" || !roomId.startsWith("!")) {
    throw finalError(
      new RemoteServerError(server, `${server} answered the alias query without a room id`, false),
    );
  }
  const listed = Array.isArray(body.servers)
    ? body.servers.filter((s): s is string => typeof s === "string" && s !== "")
    : [];
  return { room_id: roomId, servers: [...new Set([...listed, server])] };
}

/** `query/profile` on the user's server, optionally one field; only string and object values are kept. */
export async function queryRemoteProfile(
  ctx: Pick<HearthContext, "federation">,
  userId: string,
  server: string,
  field?: string,
): Promise<JsonObject> {
  const fieldQuery = field === undefined ? "" : `&field=${enc(field)}`;
  const body = await query(
    ctx,
    server,
    `/_matrix/federation/v1/query/profile?user_id=${enc(userId)}${fieldQuery}`,
    "Profile",
  );
  return isJsonObject(body) ? body : {};
}
