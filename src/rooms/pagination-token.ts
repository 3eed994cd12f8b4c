import type { HearthContext } from "../context.ts";
import { invalidParam } from "../errors.ts";
import { latestPositionAtStream, type TimelinePosition } from "../storage/rooms/timeline.ts";
import { formatTopologicalToken, parseSyncToken, parseTopologicalToken } from "../sync/tokens.ts";

/**
 * Pagination tokens name a *gap* in a room's topological order: the token for position P sits just
 * after the event at P. Paging backwards from it returns events at or before P; forwards, events after
 * P. Stream orderings are unique integers, so the gap just before an event at (t, s) is (t, s − 1).
 */
export const BEFORE_ALL: TimelinePosition = { topological: -1, stream: -1 };

export const gapBefore = (p: TimelinePosition): TimelinePosition => ({
  topological: p.topological,
  stream: p.stream - 1,
});

export const formatGap = (p: TimelinePosition): string =>
  formatTopologicalToken({ topological: p.topological, stream: p.stream });

export type ParsedPaginationToken =
  { kind: "topological"; position: TimelinePosition } | { kind: "stream"; stream: number };

/** /messages, /relations and /threads take their own topological tokens and sync tokens alike. */
export function parsePaginationToken(text: string, param: string): ParsedPaginationToken {
  const topo = parseTopologicalToken(text);
  if (topo) return { kind: "topological", position: { topological: topo.topological, stream: topo.stream } };
  const sync = parseSyncToken(text);
  if (sync) return { kind: "stream", stream: sync.events };
  throw invalidParam(`Invalid pagination token in '${param}'`);
}

/**
 * A token as a gap in this room. A sync token means "events with stream_ordering ≤ its position", which
 * becomes the gap after the newest such event in topological order.
 */
export async function resolvePaginationToken(
  ctx: Pick<HearthContext, "db" | "streams">,
  roomId: string,
  token: ParsedPaginationToken,
): Promise<TimelinePosition> {
  if (token.kind === "topological") return token.position;
  const pos = await latestPositionAtStream(ctx.db, roomId, token.stream, ctx.streams.events.persistedUpTo);
  return pos ?? BEFORE_ALL;
}
