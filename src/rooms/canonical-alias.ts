import { domainOf } from "../core/auth/identifiers.ts";
import type { JsonObject, JsonValue } from "../core/json.ts";
import type { HearthContext } from "../context.ts";
import { badJson, invalidParam, MatrixError } from "../errors.ts";
import { getAliasRoomId } from "../storage/rooms/room-aliases.ts";
import type { RoomView } from "./send-event.ts";

/** `#localpart:server` as the grammar allows: a non-empty localpart, a server part, no NUL, ≤ 255 bytes. */
export function isValidRoomAlias(value: string): boolean {
  const colon = value.indexOf(":");
  return (
    value.startsWith("#") &&
    colon > 1 &&
    colon < value.length - 1 &&
    !value.includes("\u0000") &&
    Buffer.byteLength(value) <= 255
  );
}

function aliasesIn(content: JsonObject | undefined): string[] {
  if (!content) return [];
  const out: string[] = [];
  if (typeof content.alias === "string") out.push(content.alias);
  if (Array.isArray(content.alt_aliases))
    for (const a of content.alt_aliases) if (typeof a === "string") out.push(a);
  return out;
}

/**
 * m.room.canonical_alias (client-server "PUT state"): aliases being added must be valid (400
 * M_INVALID_PARAM) and point to this room (400 M_BAD_ALIAS); removed or already present ones are not
 * re-checked. Aliases on other servers cannot be resolved without federation and are taken as given.
 */
export async function checkCanonicalAliasContent(
  ctx: HearthContext,
  view: RoomView,
  content: JsonObject,
): Promise<void> {
  const alias: JsonValue | undefined = content.alias;
  if (alias !== undefined && alias !== null && typeof alias !== "string")
    throw badJson("'alias' must be a string");
  const alt = content.alt_aliases;
  if (alt !== undefined && (!Array.isArray(alt) || !alt.every((a) => typeof a === "string"))) {
    throw badJson("'alt_aliases' must be an array of strings");
  }
  const existing = new Set(aliasesIn((await view.stateEvent("m.room.canonical_alias", ""))?.content));
  for (const a of aliasesIn(content)) {
    if (existing.has(a)) continue;
    if (!isValidRoomAlias(a)) throw invalidParam(`Invalid room alias ${JSON.stringify(a)}`);
    if (domainOf(a) !== ctx.serverName) continue;
    if ((await getAliasRoomId(ctx.db, a)) !== view.roomId) {
      throw new MatrixError(400, "M_BAD_ALIAS", `The alias ${a} does not point to this room`);
    }
  }
}
