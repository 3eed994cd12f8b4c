import type { HearthContext } from "../context.ts";
import { domainOf } from "../core/auth/identifiers.ts";
import { queryRemoteProfile } from "../federation/outbound/remote-queries.ts";
import { updateMemberProfiles } from "../rooms/profile-propagation.ts";
import type { Db } from "../storage/database.ts";
import type { JsonObject, JsonValue } from "../core/json.ts";
import { badJson, forbidden, invalidParam, MatrixError, missingParam, notFound } from "../errors.ts";
import type { Requester } from "../http/auth.ts";
import {
  deleteProfileField,
  getProfile,
  localUserExists,
  profileSizeWith,
  setProfileField,
} from "../storage/profiles/profiles.ts";

type ProfileContext = Pick<HearthContext, "db" | "serverName" | "clock">;

/** Spec pattern for profile keys (profile.yaml): the three defined keys or a namespaced custom key. */
const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MAX_KEY_BYTES = 255;
/** The spec: "the total profile MUST be under 64 KiB". */
const MAX_PROFILE_BYTES = 64 * 1024;
/** Synapse's limits, so names and avatars that work there work here and vice versa. */
const MAX_DISPLAYNAME_LENGTH = 256;
const MAX_AVATAR_URL_LENGTH = 1000;

export function requireProfileKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new MatrixError(400, "M_KEY_TOO_LARGE", `Profile keys are at most ${MAX_KEY_BYTES} bytes`);
  }
  if (!KEY_NAME.test(key)) throw invalidParam("Invalid profile key.");
}

/** A local user who exists (remote users' profiles are asked of their server). */
async function requireKnownLocalUser(ctx: ProfileContext, userId: string): Promise<void> {
  const local = userId.startsWith("@") && userId.endsWith(`:${ctx.serverName}`);
  if (!local || !(await localUserExists(ctx.db, userId))) throw notFound("Profile not found");
}

/** Where a user's profile is asked of their own server rather than read here. */
type ReadProfileContext = ProfileContext & Pick<HearthContext, "federation">;

function remoteServerOf(ctx: ProfileContext, userId: string): string | undefined {
  const server = domainOf(userId);
  return server !== undefined && server !== ctx.serverName ? server : undefined;
}

/** A local user's whole profile (what query/profile serves other servers). */
export async function getFullProfile(ctx: ProfileContext, userId: string): Promise<JsonObject> {
  await requireKnownLocalUser(ctx, userId);
  return Object.fromEntries(await getProfile(ctx.db, userId));
}

/** One field of a local user's profile. */
export async function getProfileField(ctx: ProfileContext, userId: string, key: string): Promise<JsonObject> {
  requireProfileKey(key);
  await requireKnownLocalUser(ctx, userId);
  const value = (await getProfile(ctx.db, userId)).get(key);
  if (value === undefined) throw notFound(`Profile field ${key} not found`);
  return { [key]: value };
}

/** GET /profile/{userId} for clients: a remote user's profile is asked of their server (query/profile). */
export async function readFullProfile(ctx: ReadProfileContext, userId: string): Promise<JsonObject> {
  const remote = remoteServerOf(ctx, userId);
  if (remote === undefined) return getFullProfile(ctx, userId);
  return queryRemoteProfile(ctx, userId, remote);
}

/** GET /profile/{userId}/{keyName} for clients, remote users included. */
export async function readProfileField(
  ctx: ReadProfileContext,
  userId: string,
  key: string,
): Promise<JsonObject> {
  const remote = remoteServerOf(ctx, userId);
  if (remote === undefined) return getProfileField(ctx, userId, key);
  requireProfileKey(key);
  const value = (await queryRemoteProfile(ctx, userId, remote, key))[key];
  if (value === undefined || value === null) throw notFound(`Profile field ${key} not found`);
  return { [key]: value };
}

/**
 * The value to store for `key`, or null to remove the field: an empty displayname or avatar_url
 * clears it (what clients send to remove an avatar), as member events cannot carry "".
 */
function validateValue(key: string, value: JsonValue): JsonValue | null {
  if (key === "displayname" || key === "avatar_url" || key === "m.tz") {
    if (typeof value !== "string") throw badJson(`'${key}' must be a string`);
  }
  if (key === "displayname") {
    if ([...(value as string)].length > MAX_DISPLAYNAME_LENGTH) {
      throw invalidParam(`Display names are at most ${MAX_DISPLAYNAME_LENGTH} characters`);
    }
    return value === "" ? null : value;
  }
  if (key === "avatar_url") {
    if (value === "") return null;
    if (!(value as string).startsWith("mxc://")) throw invalidParam("'avatar_url' must be an mxc:// URI");
    if ((value as string).length > MAX_AVATAR_URL_LENGTH) {
      throw invalidParam(`Avatar URLs are at most ${MAX_AVATAR_URL_LENGTH} characters`);
    }
  }
  return value;
}

/** What the room writer puts into a user's member events. */
export interface MemberProfileFields {
  displayname?: string;
  avatar_url?: string;
}

export async function memberProfileOf(
  ctx: Pick<HearthContext, "db">,
  userId: string,
): Promise<MemberProfileFields> {
  const profile = await getProfile(ctx.db, userId);
  const out: MemberProfileFields = {};
  const displayname = profile.get("displayname");
  const avatar = profile.get("avatar_url");
  if (typeof displayname === "string") out.displayname = displayname;
  if (typeof avatar === "string") out.avatar_url = avatar;
  return out;
}

/** After displayname or avatar_url changed: a fresh join event in every room the user is joined to. */
export async function propagateMemberProfile(ctx: HearthContext, userId: string): Promise<void> {
  const profile = await memberProfileOf(ctx, userId);
  await updateMemberProfiles(ctx, userId, {
    displayname: profile.displayname ?? null,
    avatar_url: profile.avatar_url ?? null,
  });
}

/** The room writer's source of displayname and avatar_url for join and invite events. */
export function memberProfileLookup(db: Db): (userId: string) => Promise<MemberProfileFields> {
  return (userId) => memberProfileOf({ db }, userId);
}

/**
 * PUT /profile/{userId}/{keyName}: the user's own profile only. Returns true when a field member events
 * carry (displayname, avatar_url) changed, so the caller propagates it to the user's rooms.
 */
export async function setProfile(
  ctx: ProfileContext,
  requester: Requester,
  userId: string,
  key: string,
  body: JsonObject,
): Promise<boolean> {
  requireProfileKey(key);
  if (requester.userId !== userId) throw forbidden("You may only change your own profile.");
  if (!Object.hasOwn(body, key)) throw missingParam(`Missing '${key}'`);
  const value = validateValue(key, body[key] as JsonValue);
  const before = (await getProfile(ctx.db, userId)).get(key);
  if (value === null) await deleteProfileField(ctx.db, userId, key);
  else {
    const json = JSON.stringify(value);
    if ((await profileSizeWith(ctx.db, userId, key, json)) >= MAX_PROFILE_BYTES) {
      throw new MatrixError(400, "M_PROFILE_TOO_LARGE", "The profile would exceed 64 KiB");
    }
    await setProfileField(ctx.db, userId, key, value, ctx.clock());
  }
  const memberField = key === "displayname" || key === "avatar_url";
  return memberField && (before ?? null) !== value;
}

/** DELETE /profile/{userId}/{keyName}; deleting a missing field succeeds. */
export async function deleteProfile(
  ctx: ProfileContext,
  requester: Requester,
  userId: string,
  key: string,
): Promise<boolean> {
  requireProfileKey(key);
  if (requester.userId !== userId) throw forbidden("You may only change your own profile.");
  const before = (await getProfile(ctx.db, userId)).get(key);
  if (before === undefined) return false;
  await deleteProfileField(ctx.db, userId, key);
  return key === "displayname" || key === "avatar_url";
}
