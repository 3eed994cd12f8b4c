import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../core/json.ts";
import { shouldReplaceBackedUpKey } from "../core/room-key-replacement.ts";
import { badJson, MatrixError, notFound } from "../errors.ts";
import {
  backedUpKeysFor,
  bumpBackupEtag,
  createBackupVersion,
  deleteBackedUpKeys,
  deleteBackupVersion,
  getBackupVersion,
  lockLatestBackupVersion,
  readBackedUpKeys,
  updateBackupVersion,
  upsertBackedUpKeys,
  type BackedUpKey,
} from "../storage/e2ee/key-backup.ts";

type BackupContext = Pick<HearthContext, "db">;

const noBackup = (): MatrixError => notFound("No current backup version");
const unknownVersion = (): MatrixError => notFound("Unknown backup version");

/** A version as the API names it: a decimal string. Anything else names no version (404). */
export function parseBackupVersion(text: string | undefined): number | undefined {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  return Number(text);
}

function versionJson(v: NonNullable<Awaited<ReturnType<typeof getBackupVersion>>>): JsonObject {
  return {
    algorithm: v.algorithm,
    auth_data: JSON.parse(v.authData) as JsonObject,
    count: v.count,
    etag: String(v.etag),
    version: String(v.version),
  };
}

function parseVersionBody(body: JsonObject): { algorithm: string; authData: string } {
  if (typeof body.algorithm !== "string" || body.algorithm === "")
    throw badJson("'algorithm' must be a string");
  if (!isJsonObject(body.auth_data)) throw badJson("'auth_data' must be an object");
  return { algorithm: body.algorithm, authData: JSON.stringify(body.auth_data) };
}

export async function createVersion(ctx: BackupContext, userId: string, body: JsonObject): Promise<string> {
  const { algorithm, authData } = parseVersionBody(body);
  return String(await createBackupVersion(ctx.db, userId, algorithm, authData));
}

/** The latest version (`version` undefined) or a given one; 404 M_NOT_FOUND when there is none. */
export async function getVersion(ctx: BackupContext, userId: string, version?: string): Promise<JsonObject> {
  const number = version === undefined ? undefined : parseBackupVersion(version);
  if (version !== undefined && number === undefined) throw unknownVersion();
  const row = await getBackupVersion(ctx.db, userId, number);
  if (!row) throw version === undefined ? noBackup() : unknownVersion();
  return versionJson(row);
}

/**
 * PUT room_keys/version/{version}: only auth_data may change; the algorithm must stay and a
 * `version` in the body must name the same version.
 */
export async function updateVersion(
  ctx: BackupContext,
  userId: string,
  version: string,
  body: JsonObject,
): Promise<void> {
  const number = parseBackupVersion(version);
  const row = number === undefined ? undefined : await getBackupVersion(ctx.db, userId, number);
  if (!row) throw unknownVersion();
  const { algorithm, authData } = parseVersionBody(body);
  if (body.version !== undefined && body.version !== version) {
    throw new MatrixError(400, "M_INVALID_PARAM", "'version' in the body does not match the path");
  }
  if (algorithm !== row.algorithm)
    throw new MatrixError(400, "M_INVALID_PARAM", "The algorithm cannot be changed");
  await updateBackupVersion(ctx.db, userId, row.version, authData);
}

export async function deleteVersion(ctx: BackupContext, userId: string, version: string): Promise<void> {
  const number = parseBackupVersion(version);
  if (number === undefined || !(await deleteBackupVersion(ctx.db, userId, number))) throw unknownVersion();
}

function nonNegativeInt(v: JsonValue | undefined, where: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw badJson(`'${where}' must be a non-negative integer`);
  return v;
}

/** One KeyBackupData object. */
export function parseKeyBackupData(
  value: JsonValue | undefined,
  roomId: string,
  sessionId: string,
): BackedUpKey {
  const where = `${roomId}/${sessionId}`;
  if (!isJsonObject(value)) throw badJson(`key ${where} must be an object`);
  if (typeof value.is_verified !== "boolean") throw badJson(`${where}: 'is_verified' must be a boolean`);
  if (!isJsonObject(value.session_data)) throw badJson(`${where}: 'session_data' must be an object`);
  return {
    roomId,
    sessionId,
    firstMessageIndex: nonNegativeInt(value.first_message_index, `${where}.first_message_index`),
    forwardedCount: nonNegativeInt(value.forwarded_count, `${where}.forwarded_count`),
    isVerified: value.is_verified,
    sessionData: JSON.stringify(value.session_data),
  };
}

/** `{sessions: {sessionId: KeyBackupData}}` of one room. */
export function parseRoomSessions(value: JsonValue | undefined, roomId: string): BackedUpKey[] {
  if (!isJsonObject(value) || !isJsonObject(value.sessions))
    throw badJson(`room ${roomId}: 'sessions' must be an object`);
  return Object.entries(value.sessions).map(([sessionId, data]) =>
    parseKeyBackupData(data, roomId, sessionId),
  );
}

/** `{rooms: {roomId: {sessions: …}}}`. */
export function parseAllRooms(body: JsonObject): BackedUpKey[] {
  if (!isJsonObject(body.rooms)) throw badJson("'rooms' must be an object");
  return Object.entries(body.rooms).flatMap(([roomId, room]) => parseRoomSessions(room, roomId));
}

/** The version a keys request names; missing is 400, a version other than the current one 403. */
async function requireCurrentVersion(
  trx: HearthContext["db"],
  userId: string,
  version: string | undefined,
): Promise<number> {
  if (version === undefined)
    throw new MatrixError(400, "M_MISSING_PARAM", "Missing 'version' query parameter");
  const current = await lockLatestBackupVersion(trx, userId);
  if (current === undefined) throw noBackup();
  if (parseBackupVersion(version) !== current) {
    throw new MatrixError(403, "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version", {
      current_version: String(current),
    });
  }
  return current;
}

/**
 * PUT room_keys/keys[…]: stores each key unless the stored one for its session is at least as good
 * (the replacement rules); the etag moves when anything was stored. Writes to a version other than
 * the current one are refused with M_WRONG_ROOM_KEYS_VERSION, so a client on an old backup notices.
 */
export async function putKeys(
  ctx: BackupContext,
  userId: string,
  version: string | undefined,
  keys: readonly BackedUpKey[],
): Promise<JsonObject> {
  await ctx.db.transaction().execute(async (trx) => {
    const current = await requireCurrentVersion(trx, userId, version);
    const stored = await backedUpKeysFor(trx, userId, current, keys);
    const better = new Map<string, BackedUpKey>();
    for (const k of keys) {
      const id = `${k.roomId}\u0000${k.sessionId}`;
      const rival = better.get(id) ?? stored.get(id);
      if (shouldReplaceBackedUpKey(rival, k)) better.set(id, k);
    }
    if (better.size === 0) return;
    await upsertBackedUpKeys(trx, userId, current, [...better.values()]);
    await bumpBackupEtag(trx, userId, current);
  });
  return etagAndCount(ctx, userId, version);
}

/** DELETE room_keys/keys[…]: deletes from the named version (any live one, not just the latest). */
export async function deleteKeys(
  ctx: BackupContext,
  userId: string,
  version: string | undefined,
  roomId?: string,
  sessionId?: string,
): Promise<JsonObject> {
  const row = await namedBackupVersion(ctx, userId, version);
  await ctx.db.transaction().execute(async (trx) => {
    if ((await deleteBackedUpKeys(trx, userId, row.version, roomId, sessionId)) > 0) {
      await bumpBackupEtag(trx, userId, row.version);
    }
  });
  return etagAndCount(ctx, userId, version);
}

/** The live backup version a `?version=` names: 400 without one, 404 for an unknown one. */
async function namedBackupVersion(ctx: BackupContext, userId: string, version: string | undefined) {
  if (version === undefined)
    throw new MatrixError(400, "M_MISSING_PARAM", "Missing 'version' query parameter");
  const number = parseBackupVersion(version);
  const row = number === undefined ? undefined : await getBackupVersion(ctx.db, userId, number);
  if (!row) throw unknownVersion();
  return row;
}

async function etagAndCount(
  ctx: BackupContext,
  userId: string,
  version: string | undefined,
): Promise<JsonObject> {
  const row = await getBackupVersion(ctx.db, userId, parseBackupVersion(version));
  if (!row) throw unknownVersion();
  return { etag: String(row.etag), count: row.count };
}

function keyJson(k: BackedUpKey): JsonObject {
  return {
    first_message_index: k.firstMessageIndex,
    forwarded_count: k.forwardedCount,
    is_verified: k.isVerified,
    session_data: JSON.parse(k.sessionData) as JsonObject,
  };
}

/**
 * GET room_keys/keys[…] of a version: all rooms, one room (`{sessions: {}}` when it has none), or one
 * session (404 M_NOT_FOUND when absent).
 */
export async function getKeys(
  ctx: BackupContext,
  userId: string,
  version: string | undefined,
  roomId?: string,
  sessionId?: string,
): Promise<JsonObject> {
  const row = await namedBackupVersion(ctx, userId, version);
  const keys = await readBackedUpKeys(ctx.db, userId, row.version, roomId, sessionId);
  if (sessionId !== undefined) {
    const [only] = keys;
    if (!only) throw notFound("No key backed up for this session");
    return keyJson(only);
  }
  const rooms: Record<string, { sessions: JsonObject }> = {};
  for (const k of keys) (rooms[k.roomId] ??= { sessions: {} }).sessions[k.sessionId] = keyJson(k);
  if (roomId !== undefined) return rooms[roomId] ?? { sessions: {} };
  return { rooms };
}
