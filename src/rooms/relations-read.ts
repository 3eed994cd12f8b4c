import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { relatedEvents, threadRoots } from "../storage/rooms/relations.ts";
import { positionOf, type TimelinePosition } from "../storage/rooms/timeline.ts";
import { visibleTimelineEvent } from "./event-context.ts";
import { hiddenAsIgnored, ignoredUsers } from "./ignored-users.ts";
import {
  formatGap,
  gapBefore,
  resolvePaginationToken,
  type ParsedPaginationToken,
} from "./pagination-token.ts";
import { requireRoomReadAccess } from "./read-access.ts";
import { serializeEvents } from "./serialize.ts";
import { checkEventsVisibility } from "./visibility.ts";

type RelationsContext = Pick<HearthContext, "db" | "streams" | "clock" | "rooms">;

/** How far `recurse=true` follows relations of relations (the spec asks for at least 3). */
export const RELATIONS_RECURSION_DEPTH = 3;

export interface RelationsRequest {
  roomId: string;
  eventId: string;
  userId: string;
  deviceId?: string;
  relType?: string;
  eventType?: string;
  from?: { text: string; token: ParsedPaginationToken };
  to?: ParsedPaginationToken;
  limit: number;
  dir: "f" | "b";
  recurse?: boolean;
}

export interface RelationsResponse {
  chunk: JsonObject[];
  next_batch?: string;
  prev_batch?: string;
  recursion_depth?: number;
}

/**
 * GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]: the children of a parent the user
 * may see (404 otherwise), newest first unless dir=f. Tokens are the same gaps /messages uses.
 */
export async function roomRelations(
  ctx: RelationsContext,
  req: RelationsRequest,
): Promise<RelationsResponse> {
  await visibleTimelineEvent(ctx, req.roomId, req.eventId, req.userId);
  const from = req.from ? await resolvePaginationToken(ctx, req.roomId, req.from.token) : undefined;
  const to = req.to ? await resolvePaginationToken(ctx, req.roomId, req.to) : undefined;
  const depth = req.recurse ? RELATIONS_RECURSION_DEPTH : 1;
  const rows = await relatedEvents(ctx.db, {
    roomId: req.roomId,
    parentId: req.eventId,
    relType: req.relType,
    eventType: req.eventType,
    depth,
    dir: req.dir,
    ...(req.dir === "b" ? { upTo: from, after: to } : { after: from, upTo: to }),
    limit: req.limit + 1,
    maxStream: ctx.streams.events.persistedUpTo,
  });
  const page = rows.slice(0, req.limit);
  const verdicts = await checkEventsVisibility(ctx, req.userId, page);
  const ignored = await ignoredUsers(ctx, req.userId);
  const visible = page.filter(
    (ev) =>
      verdicts.get(ev.eventId)?.visible === true &&
      !hiddenAsIgnored(ignored, ev.pdu.sender, ev.pdu.state_key),
  );
  const response: RelationsResponse = {
    chunk: await serializeEvents(ctx, visible, {
      userId: req.userId,
      deviceId: req.deviceId,
      memberships: new Map([...verdicts].map(([id, v]) => [id, v.membership])),
    }),
  };
  const last = page.at(-1);
  if (rows.length > req.limit && last) {
    response.next_batch = formatGap(req.dir === "b" ? gapBefore(positionOf(last)) : positionOf(last));
  }
  if (req.from) response.prev_batch = req.from.text;
  if (req.recurse !== undefined) response.recursion_depth = depth;
  return response;
}

export interface ThreadsRequest {
  roomId: string;
  userId: string;
  deviceId?: string;
  include: "all" | "participated";
  from?: ParsedPaginationToken;
  limit: number;
}

/**
 * GET /rooms/{roomId}/threads: thread roots ordered by their latest reply, newest first, each with its
 * bundled m.thread summary. The token is the gap before the last root's latest reply.
 */
export async function roomThreads(
  ctx: RelationsContext,
  req: ThreadsRequest,
): Promise<{ chunk: JsonObject[]; next_batch?: string }> {
  await requireRoomReadAccess(ctx, req.roomId, req.userId);
  const upTo: TimelinePosition | undefined = req.from
    ? await resolvePaginationToken(ctx, req.roomId, req.from)
    : undefined;
  const rows = await threadRoots(ctx.db, {
    roomId: req.roomId,
    participant: req.include === "participated" ? req.userId : undefined,
    upTo,
    limit: req.limit + 1,
    maxStream: ctx.streams.events.persistedUpTo,
  });
  const page = rows.slice(0, req.limit);
  const roots = page.map((r) => r.root);
  const verdicts = await checkEventsVisibility(ctx, req.userId, roots);
  const visible = roots.filter((ev) => verdicts.get(ev.eventId)?.visible === true);
  const response: { chunk: JsonObject[]; next_batch?: string } = {
    chunk: await serializeEvents(ctx, visible, {
      userId: req.userId,
      deviceId: req.deviceId,
      memberships: new Map([...verdicts].map(([id, v]) => [id, v.membership])),
    }),
  };
  const last = page.at(-1);
  if (rows.length > req.limit && last) response.next_batch = formatGap(gapBefore(last.latest));
  return response;
}
