import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { toFederationFormatEvent } from "../rooms/client-event.ts";
import { serializeEvents } from "../rooms/serialize.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";
import { projectEventFields } from "./event-fields.ts";
import type { SyncFilter } from "./filter.ts";

type FormatContext = Pick<HearthContext, "db" | "streams" | "clock">;

export interface FormatOptions {
  userId: string;
  deviceId: string;
  filter: SyncFilter;
  /** unsigned.membership per event (timeline events). */
  memberships?: ReadonlyMap<string, string>;
  /** Bundled aggregations are for timeline events; state events go without. */
  bundle: boolean;
}

/**
 * Room events as a sync response carries them: the client format without room_id (the section names
 * the room) with unsigned.transaction_id for the sending device, prev_content, redacted_because and
 * relations; or, for `event_format: federation`, the PDU. Then `event_fields` keeps only what the
 * client asked for.
 */
export async function formatRoomEvents(
  ctx: FormatContext,
  events: readonly StoredEvent[],
  opts: FormatOptions,
): Promise<JsonObject[]> {
  let out: JsonObject[];
  if (opts.filter.eventFormat === "federation") {
    const now = ctx.clock();
    out = events.map((ev) => toFederationFormatEvent(ev, now));
  } else {
    out = await serializeEvents(ctx, events, {
      userId: opts.userId,
      deviceId: opts.deviceId,
      memberships: opts.memberships,
      bundle: opts.bundle ? "all" : "none",
      includeRoomId: false,
    });
  }
  const fields = opts.filter.eventFields;
  return fields ? out.map((ev) => projectEventFields(ev, fields)) : out;
}
