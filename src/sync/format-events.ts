import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { roomVersions } from "../rooms/room-versions.ts";
import { toClientEvent, toFederationFormatEvent } from "../rooms/client-event.ts";
import { serializeEvents } from "../rooms/serialize.ts";
import { getEvents, type StoredEvent } from "../storage/rooms/events.ts";
import { projectEventFields } from "./event-fields.ts";
import type { SyncFilter } from "./filter.ts";

type FormatContext = Pick<HearthContext, "db" | "streams" | "clock" | "rooms">;

export interface FormatOptions {
  userId: string;
  deviceId: string;
  filter: SyncFilter;
}

interface Slot {
  events: readonly StoredEvent[];
  out: JsonObject[];
}

/**
 * Room events as a sync response carries them, formatted for all rooms at once (one round of queries
 * for versions, prev_content, redactions, transaction ids and relations instead of one per room).
 * Sections take a slot, an array put in the response right away and filled by `format()`.
 *
 * The client format has no room_id (the section names the room); timeline events carry
 * unsigned.transaction_id (sending device only), prev_content, redacted_because and bundled relations;
 * `event_format: federation` gives the PDUs. `event_fields` then keeps only what the client asked for.
 */
export class SyncEventFormatter {
  private readonly timeline: Slot[] = [];
  private readonly state: Slot[] = [];
  private readonly memberships = new Map<string, string>();

  constructor(
    private readonly ctx: FormatContext,
    private readonly opts: FormatOptions,
  ) {}

  /** Timeline events, with unsigned.membership for each. */
  timelineSlot(events: readonly StoredEvent[], memberships: ReadonlyMap<string, string>): JsonObject[] {
    for (const [id, m] of memberships) this.memberships.set(id, m);
    const out: JsonObject[] = [];
    this.timeline.push({ events, out });
    return out;
  }

  stateSlot(events: readonly StoredEvent[]): JsonObject[] {
    const out: JsonObject[] = [];
    this.state.push({ events, out });
    return out;
  }

  async format(): Promise<void> {
    await Promise.all([this.fill(this.timeline, true), this.fill(this.state, false)]);
  }

  /**
   * State-section events without prev_content: looking up what each replaced means walking one state
   * group chain per event (hundreds for a big room's members), for data clients only show for state
   * changes in the timeline, where it is given.
   */
  private async stateEvents(events: readonly StoredEvent[]): Promise<Map<string, JsonObject>> {
    const out = new Map<string, JsonObject>();
    const [versions, redactions] = await Promise.all([
      roomVersions(
        this.ctx,
        events.map((ev) => ev.roomId),
      ),
      getEvents(
        this.ctx.db,
        events.flatMap((ev) => (ev.redactedBy === null ? [] : [ev.redactedBy])),
      ),
    ]);
    const now = this.ctx.clock();
    for (const ev of events) {
      const version = versions.get(ev.roomId);
      if (!version) continue;
      const redaction = ev.redactedBy === null ? undefined : redactions.get(ev.redactedBy);
      out.set(
        ev.eventId,
        toClientEvent(ev, {
          now,
          version,
          includeRoomId: false,
          redactedBecause: redaction && toClientEvent(redaction, { now, version, includeRoomId: false }),
        }),
      );
    }
    return out;
  }

  private async fill(slots: readonly Slot[], timeline: boolean): Promise<void> {
    const all = slots.flatMap((s) => s.events);
    if (all.length === 0) return;
    const byId = new Map<string, JsonObject>();
    if (this.opts.filter.eventFormat === "federation") {
      const now = this.ctx.clock();
      for (const ev of all) byId.set(ev.eventId, toFederationFormatEvent(ev, now));
    } else if (!timeline) {
      for (const [id, json] of await this.stateEvents(all)) byId.set(id, json);
    } else {
      const formatted = await serializeEvents(this.ctx, all, {
        userId: this.opts.userId,
        deviceId: this.opts.deviceId,
        memberships: this.memberships,
        bundle: "all",
        includeRoomId: false,
      });
      for (const ev of formatted) byId.set(ev.event_id as string, ev);
    }
    const fields = this.opts.filter.eventFields;
    for (const slot of slots) {
      for (const ev of slot.events) {
        const json = byId.get(ev.eventId);
        // Events of a room whose version is unknown cannot be formatted and are left out.
        if (json) slot.out.push(fields ? projectEventFields(json, fields) : json);
      }
    }
  }
}
