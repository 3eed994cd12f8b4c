import { CREATABLE_ROOM_VERSIONS, getRoomVersion } from "../core/room-versions.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../core/json.ts";
import type { HearthContext } from "../context.ts";
import { badJson, invalidParam, MatrixError } from "../errors.ts";
import type { CreateRoomOptions, InitialStateEvent } from "../rooms/create-room.ts";
import { PRESETS, type Preset } from "../rooms/create-room-presets.ts";
import { requireUserId } from "./room-params.ts";
import { isValidRoomAlias } from "../rooms/canonical-alias.ts";

/** JSON null counts as absent: clients send `"name": null` meaning "no name". */
function field(body: JsonObject, key: string): JsonValue | undefined {
  const v = body[key];
  return v === null ? undefined : v;
}

function optString(body: JsonObject, key: string): string | undefined {
  const v = field(body, key);
  if (v === undefined || typeof v === "string") return v;
  throw badJson(`'${key}' must be a string`);
}

function optObject(body: JsonObject, key: string): JsonObject | undefined {
  const v = field(body, key);
  if (v === undefined || isJsonObject(v)) return v;
  throw badJson(`'${key}' must be an object`);
}

function optArray(body: JsonObject, key: string): JsonValue[] {
  const v = field(body, key);
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  throw badJson(`'${key}' must be an array`);
}

function parseInitialState(body: JsonObject): InitialStateEvent[] {
  return optArray(body, "initial_state").map((item, i) => {
    if (!isJsonObject(item)) throw badJson(`initial_state[${i}] must be an object`);
    const { type, state_key: stateKey = "", content } = item;
    if (typeof type !== "string" || type === "")
      throw badJson(`initial_state[${i}].type must be a non-empty string`);
    if (typeof stateKey !== "string") throw badJson(`initial_state[${i}].state_key must be a string`);
    if (!isJsonObject(content)) throw badJson(`initial_state[${i}].content must be an object`);
    return { type, stateKey, content };
  });
}

/** The alias `room_alias_name` asks for: one of ours, so only the local part is the client's. */
function parseAlias(ctx: HearthContext, body: JsonObject): string | undefined {
  const name = optString(body, "room_alias_name");
  if (name === undefined) return undefined;
  const alias = `#${name}:${ctx.serverName}`;
  if (name === "" || /[\s:]/.test(name) || !isValidRoomAlias(alias)) {
    throw invalidParam(`Invalid room alias name ${JSON.stringify(name)}`);
  }
  return alias;
}

/** Validates a POST /createRoom body into the writer's options (400s for every malformed field). */
export function parseCreateRoomRequest(
  ctx: HearthContext,
  creator: string,
  body: JsonObject,
): CreateRoomOptions {
  const visibility = optString(body, "visibility");
  if (visibility !== undefined && visibility !== "public" && visibility !== "private") {
    throw invalidParam("'visibility' must be 'public' or 'private'");
  }
  const presetText = optString(body, "preset");
  if (presetText !== undefined && !PRESETS.includes(presetText as Preset)) {
    throw invalidParam(`'preset' must be one of ${PRESETS.join(", ")}`);
  }
  const preset =
    (presetText as Preset | undefined) ?? (visibility === "public" ? "public_chat" : "private_chat");

  const versionId = optString(body, "room_version") ?? ctx.config.room_versions.default;
  const version = CREATABLE_ROOM_VERSIONS.includes(versionId) ? getRoomVersion(versionId) : undefined;
  if (!version) {
    throw new MatrixError(
      400,
      "M_UNSUPPORTED_ROOM_VERSION",
      `This server does not create rooms of version ${JSON.stringify(versionId)}`,
    );
  }

  const invite = [
    ...new Set(
      optArray(body, "invite").map((u) => {
        if (typeof u !== "string") throw badJson("'invite' must be an array of user IDs");
        return requireUserId(u, "invite");
      }),
    ),
  ].filter((u) => u !== creator);
  if (optArray(body, "invite_3pid").length > 0) {
    throw invalidParam("Third-party (email, phone) invites are not supported by this server");
  }
  const isDirect = field(body, "is_direct");
  if (isDirect !== undefined && typeof isDirect !== "boolean") throw badJson("'is_direct' must be a boolean");

  return {
    creator,
    version,
    preset,
    isPublic: visibility === "public",
    creationContent: optObject(body, "creation_content") ?? {},
    powerLevelContentOverride: optObject(body, "power_level_content_override"),
    alias: parseAlias(ctx, body),
    initialState: parseInitialState(body),
    name: optString(body, "name"),
    topic: optString(body, "topic"),
    invite,
    isDirect: isDirect ?? false,
  };
}
