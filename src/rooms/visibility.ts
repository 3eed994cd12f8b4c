/**
 * History visibility (spec: client-server API, "Room History Visibility", server behaviour): whether a
 * user may see an event, judged on the room state *at that event*, not on today's state.
 */
import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { stateTupleKey } from "../core/state-key.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";
import { latestJoinStreams } from "../storage/rooms/membership-history.ts";
import { lookupStateEvents } from "../storage/rooms/state-lookup.ts";

export type HistoryVisibility = "world_readable" | "shared" | "invited" | "joined";

const KNOWN: ReadonlySet<string> = new Set(["world_readable", "shared", "invited", "joined"]);

/** A missing event or a value the server does not understand counts as `shared` (spec). */
export function parseHistoryVisibility(content: JsonObject | undefined): HistoryVisibility {
  const value = content?.history_visibility;
  return typeof value === "string" && KNOWN.has(value) ? (value as HistoryVisibility) : "shared";
}

/** What the decision needs to know about one event, from the requesting user's point of view. */
export interface VisibilityFacts {
  /** history_visibility in the state before the event. */
  visibility: HistoryVisibility;
  /** For an m.room.history_visibility event: the value it sets. */
  visibilityAfter?: HistoryVisibility;
  /** The user's membership in the state before the event (undefined: never a member). */
  membership: string | undefined;
  /** For the user's own m.room.member event: the membership it sets. */
  membershipAfter?: string;
  /** The user joined the room at some point after the event was sent. */
  joinedLater: boolean;
}

function allowedBy(
  visibility: HistoryVisibility,
  membership: string | undefined,
  joinedLater: boolean,
): boolean {
  if (visibility === "world_readable") return true;
  if (membership === "join") return true;
  if (visibility === "shared" && joinedLater) return true;
  return visibility === "invited" && membership === "invite";
}

/**
 * The spec's rules 1–5, plus its two exceptions: a history_visibility event is visible if the setting
 * before *or* after it allows, and the user's own member event if their membership before *or* after
 * it does (so users see their own join, and the leave that ends their access).
 */
export function mayUserSeeEvent(f: VisibilityFacts): boolean {
  const visibilities = f.visibilityAfter === undefined ? [f.visibility] : [f.visibility, f.visibilityAfter];
  const memberships = f.membershipAfter === undefined ? [f.membership] : [f.membership, f.membershipAfter];
  return visibilities.some((v) => memberships.some((m) => allowedBy(v, m, f.joinedLater)));
}

export interface EventVisibility {
  visible: boolean;
  /** The user's membership at the event (unsigned.membership), "leave" when never a member. */
  membership: string;
}

type ReadContext = Pick<HearthContext, "db">;

/** What one state group says for one user: the history_visibility and that user's membership. */
export interface GroupFacts {
  visibility: HistoryVisibility;
  membership: string | undefined;
}

/**
 * Remembers GroupFacts per (state group, user). A state group's state never changes, and redaction
 * keeps both `history_visibility` and `membership`, so a cached entry is never stale.
 */
export interface GroupFactsCache {
  get(group: number, userId: string): GroupFacts | undefined;
  set(group: number, userId: string, facts: GroupFacts): void;
}

const membershipOf = (content: JsonObject | undefined): string | undefined =>
  typeof content?.membership === "string" ? content.membership : undefined;

/**
 * Visibility of many events for one user with one or two queries: the history_visibility and the
 * user's member event in each distinct state group (one lookup for all groups, which a page of
 * messages mostly shares), and, only when some event hangs on it (`shared` history the user was not
 * a member for), the user's latest join per room. Outliers (no state known), rejected and soft-failed
 * events are never visible to clients.
 */
export async function checkEventsVisibility(
  ctx: ReadContext,
  userId: string,
  events: readonly StoredEvent[],
  cache?: GroupFactsCache,
): Promise<Map<string, EventVisibility>> {
  const out = new Map<string, EventVisibility>();
  const candidates = events.filter(
    (ev) => ev.stateGroupBefore !== null && !ev.outlier && ev.rejectedReason === null && !ev.softFailed,
  );
  for (const ev of events) out.set(ev.eventId, { visible: false, membership: "leave" });
  if (candidates.length === 0) return out;

  const groupFacts = await factsOfGroups(
    ctx,
    userId,
    candidates.map((ev) => ev.stateGroupBefore as number),
    cache,
  );
  const facts = candidates.map((ev): VisibilityFacts => {
    const known = groupFacts.get(ev.stateGroupBefore as number);
    const f: VisibilityFacts = {
      visibility: known?.visibility ?? "shared",
      membership: known?.membership,
      joinedLater: false,
    };
    const stateKey = ev.pdu.state_key;
    if (ev.pdu.type === "m.room.history_visibility" && stateKey === "") {
      f.visibilityAfter = parseHistoryVisibility(ev.pdu.content);
    }
    if (ev.pdu.type === "m.room.member" && stateKey === userId) {
      f.membershipAfter = membershipOf(ev.pdu.content);
    }
    return f;
  });
  // joinedLater decides only events not already visible: spare the query when there are none.
  const undecided = candidates.filter((_, i) => !mayUserSeeEvent(facts[i] as VisibilityFacts));
  const latestJoins =
    undecided.length === 0
      ? new Map<string, number>()
      : await latestJoinStreams(
          ctx.db,
          userId,
          undecided.map((ev) => ev.roomId),
        );
  candidates.forEach((ev, i) => {
    const f = facts[i] as VisibilityFacts;
    f.joinedLater = (latestJoins.get(ev.roomId) ?? -Infinity) > (ev.streamOrdering ?? Infinity);
    out.set(ev.eventId, {
      visible: mayUserSeeEvent(f),
      membership: f.membershipAfter ?? f.membership ?? "leave",
    });
  });
  return out;
}

/** GroupFacts of each of `groupIds` for `userId`: from `cache` where it has them, else one lookup. */
async function factsOfGroups(
  ctx: ReadContext,
  userId: string,
  groupIds: readonly number[],
  cache: GroupFactsCache | undefined,
): Promise<Map<number, GroupFacts>> {
  const out = new Map<number, GroupFacts>();
  const missing: number[] = [];
  for (const group of new Set(groupIds)) {
    const hit = cache?.get(group, userId);
    if (hit) out.set(group, hit);
    else missing.push(group);
  }
  if (missing.length === 0) return out;
  const hvKey = stateTupleKey("m.room.history_visibility", "");
  const memberKey = stateTupleKey("m.room.member", userId);
  const groups = await lookupStateEvents(ctx.db, missing, [
    { type: "m.room.history_visibility", stateKey: "" },
    { type: "m.room.member", stateKey: userId },
  ]);
  const contentOf = (ev: StoredEvent | undefined): JsonObject | undefined =>
    isJsonObject(ev?.pdu.content) ? ev.pdu.content : undefined;
  for (const group of missing) {
    const entries = groups.get(group);
    const facts: GroupFacts = {
      visibility: parseHistoryVisibility(contentOf(entries?.get(hvKey))),
      membership: membershipOf(contentOf(entries?.get(memberKey))),
    };
    out.set(group, facts);
    cache?.set(group, userId, facts);
  }
  return out;
}

/** The events `userId` may see, in the order given. /sync uses this too. */
export async function filterEventsForUser(
  ctx: ReadContext,
  userId: string,
  events: StoredEvent[],
): Promise<StoredEvent[]> {
  const verdicts = await checkEventsVisibility(ctx, userId, events);
  return events.filter((ev) => verdicts.get(ev.eventId)?.visible === true);
}
