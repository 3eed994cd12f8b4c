import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import { stateTupleKey } from "../core/state-key.ts";
import { transactionIdsOf } from "../storage/rooms/event-metadata.ts";
import { roomVersions } from "./room-versions.ts";
import { getEvents, type StoredEvent } from "../storage/rooms/events.ts";
import { lookupStateEntries } from "../storage/rooms/state-lookup.ts";
import { toClientEvent } from "./client-event.ts";
import { loadRelationBundles, type RelationBundle } from "./relation-bundles.ts";

type SerializeContext = Pick<HearthContext, "db" | "streams" | "clock" | "rooms">;

export interface SerializeOptions {
  /** The requesting user: bundles (thread participation, visibility of bundled events) are theirs. */
  userId: string;
  /** The requesting device, for unsigned.transaction_id on its own events. */
  deviceId?: string;
  /** unsigned.membership per event id (from checkEventsVisibility). */
  memberships?: ReadonlyMap<string, string>;
  /** "all" (default); "edits" for events nested inside a bundle (no thread loops); "none". */
  bundle?: "all" | "edits" | "none";
  includeRoomId?: boolean;
}

function versionsFor(
  ctx: SerializeContext,
  events: readonly StoredEvent[],
): Promise<Map<string, RoomVersion>> {
  return roomVersions(
    ctx,
    events.map((ev) => ev.roomId),
  );
}

/** Content and id of the state event each state event replaced (unsigned.prev_content, replaces_state). */
async function replacedState(
  ctx: SerializeContext,
  events: readonly StoredEvent[],
): Promise<Map<string, { eventId: string; content: JsonObject }>> {
  const out = new Map<string, { eventId: string; content: JsonObject }>();
  const stateEvents = events.filter(
    (ev) => typeof ev.pdu.state_key === "string" && ev.stateGroupBefore !== null,
  );
  if (stateEvents.length === 0) return out;
  const keys = new Map<string, { type: string; stateKey: string }>();
  for (const ev of stateEvents) {
    const stateKey = ev.pdu.state_key as string;
    keys.set(stateTupleKey(ev.pdu.type, stateKey), { type: ev.pdu.type, stateKey });
  }
  const groups = await lookupStateEntries(
    ctx.db,
    stateEvents.map((ev) => ev.stateGroupBefore as number),
    [...keys.values()],
  );
  const prevIds = new Map<string, string>();
  for (const ev of stateEvents) {
    const id = groups
      .get(ev.stateGroupBefore as number)
      ?.get(stateTupleKey(ev.pdu.type, ev.pdu.state_key as string));
    if (id !== undefined && id !== ev.eventId) prevIds.set(ev.eventId, id);
  }
  const prevEvents = await getEvents(ctx.db, [...new Set(prevIds.values())]);
  for (const [eventId, prevId] of prevIds) {
    const prev = prevEvents.get(prevId);
    if (prev) out.set(eventId, { eventId: prevId, content: prev.pdu.content });
  }
  return out;
}

/** Formats many bundles with one nested serialization per kind (edits, thread heads), not one per event. */
async function formatBundles(
  ctx: SerializeContext,
  bundles: ReadonlyMap<string, RelationBundle>,
  opts: SerializeOptions,
): Promise<Map<string, JsonObject>> {
  const out = new Map<string, JsonObject>();
  if (bundles.size === 0) return out;
  const nested = { userId: opts.userId, deviceId: opts.deviceId, includeRoomId: opts.includeRoomId };
  const all = [...bundles.values()];
  const edits = all.flatMap((b) => (b.replace ? [b.replace] : []));
  const heads = all.flatMap((b) => (b.thread ? [b.thread.latest] : []));
  const byId = (list: JsonObject[]): Map<string, JsonObject> =>
    new Map(list.map((ev) => [ev.event_id as string, ev]));
  const [editJson, headJson] = await Promise.all([
    serializeEvents(ctx, edits, { ...nested, bundle: "none" }).then(byId),
    serializeEvents(ctx, heads, { ...nested, bundle: "edits" }).then(byId),
  ]);
  for (const [eventId, bundle] of bundles) {
    const relations: JsonObject = {};
    const edit = bundle.replace && editJson.get(bundle.replace.eventId);
    if (edit) relations["m.replace"] = edit;
    const head = bundle.thread && headJson.get(bundle.thread.latest.eventId);
    if (bundle.thread && head) {
      relations["m.thread"] = {
        latest_event: head,
        count: bundle.thread.count,
        current_user_participated: bundle.thread.participated,
      };
    }
    if (bundle.references)
      relations["m.reference"] = { chunk: bundle.references.map((id) => ({ event_id: id })) };
    out.set(eventId, relations);
  }
  return out;
}

/**
 * Events in the client format with everything the server adds in `unsigned`: age, transaction_id for
 * the sending device, prev_content/replaces_state, redacted_because, membership and bundled
 * aggregations (m.relations). Events of rooms with an unknown version are dropped rather than guessed.
 */
export async function serializeEvents(
  ctx: SerializeContext,
  events: readonly StoredEvent[],
  opts: SerializeOptions,
): Promise<JsonObject[]> {
  if (events.length === 0) return [];
  const versions = await versionsFor(ctx, events);
  const redactionIds = events.flatMap((ev) => (ev.redactedBy === null ? [] : [ev.redactedBy]));
  const bundleMode = opts.bundle ?? "all";
  const [redactions, replaced, txnIds, bundles] = await Promise.all([
    getEvents(ctx.db, redactionIds),
    replacedState(ctx, events),
    opts.deviceId === undefined
      ? new Map<string, string>()
      : transactionIdsOf(
          ctx.db,
          opts.userId,
          opts.deviceId,
          // Reads that loaded the events for this device may have brought the ids along (sync's do).
          events
            .filter((ev) => ev.pdu.sender === opts.userId && ev.transactionId === undefined)
            .map((ev) => ev.eventId),
        ),
    bundleMode === "none"
      ? new Map<string, RelationBundle>()
      : loadRelationBundles(ctx, events, opts.userId, { threads: bundleMode === "all" }),
  ]);
  const relations = await formatBundles(ctx, bundles, opts);
  const now = ctx.clock();
  const out: JsonObject[] = [];
  for (const ev of events) {
    const version = versions.get(ev.roomId);
    if (!version) continue;
    const redaction = ev.redactedBy === null ? undefined : redactions.get(ev.redactedBy);
    out.push(
      toClientEvent(ev, {
        now,
        version,
        includeRoomId: opts.includeRoomId,
        transactionId: ev.transactionId ?? txnIds.get(ev.eventId),
        replaces: replaced.get(ev.eventId),
        redactedBecause: redaction
          ? toClientEvent(redaction, { now, version, includeRoomId: opts.includeRoomId })
          : undefined,
        membership: opts.memberships?.get(ev.eventId),
        relations: relations.get(ev.eventId),
      }),
    );
  }
  return out;
}

/**
 * `unsigned["m.relations"]` for events of one room, as `userId` sees them; events without any
 * aggregation are absent from the map. For /sync, which formats its own events.
 */
export async function bundledRelations(
  ctx: SerializeContext,
  roomId: string,
  eventIds: readonly string[],
  userId: string,
): Promise<Map<string, JsonObject>> {
  const events = [...(await getEvents(ctx.db, eventIds)).values()].filter((ev) => ev.roomId === roomId);
  const bundles = await loadRelationBundles(ctx, events, userId);
  return formatBundles(ctx, bundles, { userId });
}
