import { isJsonObject } from "../core/json.ts";
import { invalidParam } from "../errors.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";
import { allowsRoomEvent, FilterError, parseFilter, type RoomEventFilter } from "../sync/filter.ts";

/** What /messages and /context apply when the request carries no filter. */
export const NO_ROOM_EVENT_FILTER: RoomEventFilter = parseFilter({}).room.timeline;

/**
 * The `filter` query parameter of /messages and /context: an inline RoomEventFilter as JSON. The sync
 * module owns filter semantics; it parses RoomEventFilters as part of a whole Filter, so the object is
 * parsed in that position (error messages then name it `room.timeline.…`).
 */
export function parseRoomEventFilterParam(text: string | undefined): RoomEventFilter {
  if (text === undefined || text === "") return NO_ROOM_EVENT_FILTER;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidParam("'filter' must be a JSON RoomEventFilter object");
  }
  if (!isJsonObject(value)) throw invalidParam("'filter' must be a JSON RoomEventFilter object");
  try {
    return parseFilter({ room: { timeline: value } }).room.timeline;
  } catch (err) {
    if (err instanceof FilterError) throw invalidParam(`Invalid filter: ${err.message}`);
    throw err;
  }
}

export function filterAllows(filter: RoomEventFilter, ev: StoredEvent): boolean {
  return allowsRoomEvent(filter, {
    type: ev.pdu.type,
    sender: ev.pdu.sender,
    roomId: ev.roomId,
    content: ev.pdu.content,
  });
}
