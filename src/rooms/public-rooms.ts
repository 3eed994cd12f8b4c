import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { forbidden, invalidParam, notFound } from "../errors.ts";
import type { Requester } from "../http/auth.ts";
import {
  aliasesOfRooms,
  currentStateOfTypes,
  getRoomPublished,
  publishedRoomIds,
  setRoomPublished,
} from "../storage/rooms/directory.ts";
import { getEvents } from "../storage/rooms/events.ts";
import { getCurrentMembership, joinedMemberCounts } from "../storage/rooms/membership-history.ts";
import { hasStatePower } from "./power-check.ts";

type DirectoryContext = Pick<HearthContext, "db" | "serverName" | "rooms">;

export async function getRoomDirectoryVisibility(
  ctx: DirectoryContext,
  roomId: string,
): Promise<{ visibility: "public" | "private" }> {
  const published = await getRoomPublished(ctx.db, roomId);
  if (published === undefined) throw notFound("Room not found");
  return { visibility: published ? "public" : "private" };
}

/**
 * PUT /directory/list/room/{roomId}. The spec leaves who may publish to the server; Hearth follows
 * Synapse's default: server admins, and joined members with the power to change the room's
 * m.room.canonical_alias (moderators at the default power levels).
 */
export async function setRoomDirectoryVisibility(
  ctx: DirectoryContext,
  requester: Requester,
  roomId: string,
  visibility: "public" | "private",
): Promise<void> {
  if ((await getRoomPublished(ctx.db, roomId)) === undefined) throw notFound("Room not found");
  if (!requester.isAdmin) {
    const joined = (await getCurrentMembership(ctx.db, roomId, requester.userId))?.membership === "join";
    if (!joined || !(await hasStatePower(ctx, roomId, requester.userId, "m.room.canonical_alias"))) {
      throw forbidden("You do not have permission to change this room's directory visibility");
    }
  }
  await setRoomPublished(ctx.db, roomId, visibility === "public");
}

export interface PublicRoomsQuery {
  limit?: number;
  since?: string;
  searchTerm?: string;
  /** Room types to include; null stands for rooms without a type. Undefined or empty: all. */
  roomTypes?: readonly (string | null)[];
}

interface PublicRoomEntry {
  chunk: JsonObject;
  members: number;
  roomId: string;
  haystack: string;
  roomType: string | null;
}

const SUMMARY_TYPES = [
  "m.room.create",
  "m.room.name",
  "m.room.topic",
  "m.room.canonical_alias",
  "m.room.avatar",
  "m.room.join_rules",
  "m.room.history_visibility",
  "m.room.guest_access",
];

/** The plain-text topic: `topic`, else the text/plain entry of the v1.15 `m.topic` block. */
function plainTopic(content: JsonObject): string | undefined {
  if (typeof content.topic === "string" && content.topic !== "") return content.topic;
  const block = content["m.topic"];
  const texts = isJsonObject(block) ? block["m.text"] : undefined;
  if (!Array.isArray(texts)) return undefined;
  for (const t of texts) {
    if (isJsonObject(t) && typeof t.body === "string" && (t.mimetype ?? "text/plain") === "text/plain") {
      return t.body;
    }
  }
  return undefined;
}

async function loadEntries(ctx: DirectoryContext): Promise<PublicRoomEntry[]> {
  const roomIds = await publishedRoomIds(ctx.db);
  const [state, counts, aliases] = await Promise.all([
    currentStateOfTypes(ctx.db, roomIds, SUMMARY_TYPES),
    joinedMemberCounts(ctx.db, roomIds),
    aliasesOfRooms(ctx.db, roomIds),
  ]);
  const eventIds = [...state.values()].flatMap((m) => [...m.values()]);
  const events = await getEvents(ctx.db, eventIds);
  return roomIds.map((roomId) => {
    const content = (type: string): JsonObject => {
      const id = state.get(roomId)?.get(type);
      const c = id === undefined ? undefined : events.get(id)?.pdu.content;
      return isJsonObject(c) ? c : {};
    };
    const members = counts.get(roomId) ?? 0;
    const joinRule = content("m.room.join_rules").join_rule;
    const chunk: JsonObject = {
      room_id: roomId,
      num_joined_members: members,
      world_readable: content("m.room.history_visibility").history_visibility === "world_readable",
      guest_can_join: content("m.room.guest_access").guest_access === "can_join",
      join_rule: typeof joinRule === "string" ? joinRule : "public",
    };
    const name = content("m.room.name").name;
    if (typeof name === "string" && name !== "") chunk.name = name;
    const topic = plainTopic(content("m.room.topic"));
    if (topic !== undefined) chunk.topic = topic;
    const canonical = content("m.room.canonical_alias");
    if (typeof canonical.alias === "string") chunk.canonical_alias = canonical.alias;
    const avatar = content("m.room.avatar").url;
    if (typeof avatar === "string" && avatar !== "") chunk.avatar_url = avatar;
    const roomType = content("m.room.create").type;
    if (typeof roomType === "string") chunk.room_type = roomType;
    const altAliases = Array.isArray(canonical.alt_aliases) ? canonical.alt_aliases : [];
    const haystack = [
      chunk.name,
      chunk.topic,
      chunk.canonical_alias,
      ...altAliases,
      ...(aliases.get(roomId) ?? []),
    ]
      .filter((s): s is string => typeof s === "string")
      .join("\n")
      .toLowerCase();
    return { chunk, members, roomId, haystack, roomType: typeof roomType === "string" ? roomType : null };
  });
}

/** Largest rooms first, then by room id: a stable order that keyset tokens can resume. */
const compareEntries = (
  a: { members: number; roomId: string },
  b: { members: number; roomId: string },
): number => b.members - a.members || (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0);

interface PageKey {
  /** "n": the page after this key; "p": the page before it. */
  dir: "n" | "p";
  members: number;
  roomId: string;
}

function encodeKey(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.dir, key.members, key.roomId])).toString("base64url");
}

function decodeKey(token: string): PageKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      (value[0] === "n" || value[0] === "p") &&
      Number.isInteger(value[1]) &&
      typeof value[2] === "string"
    ) {
      return { dir: value[0], members: value[1] as number, roomId: value[2] };
    }
  } catch {
    // fall through to the error below
  }
  throw invalidParam("Invalid 'since' token");
}

/** Published rooms with no limit given: Synapse returns them all too; cap for safety. */
const MAX_PUBLIC_ROOMS_PAGE = 500;

/**
 * GET/POST /publicRooms for this server. Every published room's summary is read from current state per
 * request, which is fine for the few hundred rooms a server typically publishes.
 */
export async function listPublicRooms(ctx: DirectoryContext, q: PublicRoomsQuery): Promise<JsonObject> {
  let entries = await loadEntries(ctx);
  const total = entries.length;
  const term = q.searchTerm?.trim().toLowerCase();
  if (term) entries = entries.filter((e) => e.haystack.includes(term));
  if (q.roomTypes && q.roomTypes.length > 0) {
    const wanted = new Set(q.roomTypes);
    entries = entries.filter((e) => wanted.has(e.roomType));
  }
  entries.sort(compareEntries);
  const limit = Math.min(q.limit ?? MAX_PUBLIC_ROOMS_PAGE, MAX_PUBLIC_ROOMS_PAGE);
  let startIndex = 0;
  let endIndex = entries.length;
  if (q.since !== undefined) {
    const key = decodeKey(q.since);
    const firstAfter = entries.findIndex((e) => compareEntries(e, key) > 0);
    const pivot = firstAfter < 0 ? entries.length : firstAfter;
    if (key.dir === "n") startIndex = pivot;
    else {
      // Rooms strictly before the key.
      endIndex = entries.findIndex((e) => compareEntries(e, key) >= 0);
      if (endIndex < 0) endIndex = entries.length;
      startIndex = Math.max(0, endIndex - limit);
    }
  }
  endIndex = Math.min(endIndex, startIndex + limit);
  const page = entries.slice(startIndex, endIndex);
  const response: JsonObject = { chunk: page.map((e) => e.chunk), total_room_count_estimate: total };
  const first = page[0];
  const last = page.at(-1);
  if (last && endIndex < entries.length)
    response.next_batch = encodeKey({ dir: "n", members: last.members, roomId: last.roomId });
  if (first && startIndex > 0)
    response.prev_batch = encodeKey({ dir: "p", members: first.members, roomId: first.roomId });
  return response;
}
