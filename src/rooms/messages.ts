import type { HearthContext } from "../context.ts";
import { backfillRoom } from "../federation/outbound/backfill.ts";
import type { JsonObject } from "../core/json.ts";
import {
  latestPositionAtStream,
  comparePositions,
  type TimelinePosition,
} from "../storage/rooms/timeline.ts";
import type { RoomEventFilter } from "../sync/filter.ts";
import { memberEventsAt } from "./lazy-members.ts";
import {
  BEFORE_ALL,
  formatGap,
  resolvePaginationToken,
  type ParsedPaginationToken,
} from "./pagination-token.ts";
import { requireRoomReadAccess } from "./read-access.ts";
import { serializeEvents } from "./serialize.ts";
import { scanTimeline } from "./timeline-scan.ts";

/** Backfill requests one /messages call makes at most before answering with what it has. */
const MAX_BACKFILLS = 3;

export interface MessagesRequest {
  roomId: string;
  userId: string;
  deviceId?: string;
  dir: "f" | "b";
  from?: { text: string; token: ParsedPaginationToken };
  to?: ParsedPaginationToken;
  limit: number;
  filter: RoomEventFilter;
}

export interface MessagesResponse {
  start: string;
  end?: string;
  chunk: JsonObject[];
  state?: JsonObject[];
}

const minPosition = (a: TimelinePosition, b: TimelinePosition): TimelinePosition =>
  comparePositions(a, b) <= 0 ? a : b;

/**
 * GET /rooms/{roomId}/messages. Without `from`, backwards starts at the newest event and forwards at
 * the oldest. Backwards past the oldest event held, older history is backfilled from other servers. A user who left (or was banned) reads up to that membership event and no further, unless
 * the room is world_readable now.
 */
export async function roomMessages(ctx: HearthContext, req: MessagesRequest): Promise<MessagesResponse> {
  const access = await requireRoomReadAccess(ctx, req.roomId, req.userId);
  const maxStream = ctx.streams.events.persistedUpTo;
  let from: TimelinePosition;
  if (req.from) from = await resolvePaginationToken(ctx, req.roomId, req.from.token);
  else if (req.dir === "b") {
    from = (await latestPositionAtStream(ctx.db, req.roomId, maxStream, maxStream)) ?? BEFORE_ALL;
  } else from = BEFORE_ALL;
  const start = req.from?.text ?? formatGap(from);

  let bound = req.to ? await resolvePaginationToken(ctx, req.roomId, req.to) : undefined;
  const departedAt = access.currentVisibility === "world_readable" ? undefined : access.departedAt;
  if (departedAt) {
    if (req.dir === "b") from = minPosition(from, departedAt);
    else bound = bound ? minPosition(bound, departedAt) : departedAt;
  }

  const scanRequest = {
    roomId: req.roomId,
    userId: req.userId,
    dir: req.dir,
    from,
    bound,
    limit: req.limit,
    filter: req.filter,
  };
  let scan = await scanTimeline(ctx, scanRequest);
  // Paging back over a hole in the history held (past the oldest event, or across a gap closed with
  // state_ids): ask the other servers in the room for the missing events, then read the page again.
  for (let i = 0; i < MAX_BACKFILLS && req.dir === "b" && !bound; i++) {
    const oldest = scan.exhausted ? 0 : (scan.events.at(-1)?.topologicalOrdering ?? from.topological);
    const depths = { min: oldest, max: from.topological };
    const fetched = await backfillRoom(ctx, req.roomId, depths, Math.min(100, req.limit + 10));
    if (fetched === 0) break;
    scan = await scanTimeline(ctx, scanRequest);
  }
  const response: MessagesResponse = {
    start,
    chunk: await serializeEvents(ctx, scan.events, {
      userId: req.userId,
      deviceId: req.deviceId,
      memberships: scan.memberships,
    }),
  };
  if (!scan.exhausted) response.end = formatGap(scan.next);
  if (req.filter.lazyLoadMembers) {
    const first = scan.events[0];
    const group = first?.stateGroupAfter ?? first?.stateGroupBefore;
    const members =
      first && group !== null && group !== undefined
        ? await memberEventsAt(ctx, group, new Set(scan.events.map((ev) => ev.pdu.sender)))
        : [];
    response.state = await serializeEvents(ctx, members, { userId: req.userId, bundle: "none" });
  }
  return response;
}
