import { encodeBase64 } from "./base64.ts";
import { computeReferenceHash } from "./hashes.ts";
import type { JsonObject, JsonValue } from "./json.ts";
import type { RoomVersion } from "./room-versions.ts";

/** How an event cites another: v1/v2 as `[id, {sha256: reference hash}]`, later versions by bare id. */
export function eventReference(version: RoomVersion, ev: JsonObject & { event_id: string }): JsonValue {
  if (version.eventIdFormat !== "v1") return ev.event_id;
  return [ev.event_id, { sha256: encodeBase64(computeReferenceHash(ev, version)) }];
}
