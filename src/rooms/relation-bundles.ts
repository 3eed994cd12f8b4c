import type { HearthContext } from "../context.ts";
import type { StoredEvent } from "../storage/rooms/events.ts";
import {
  parentsWithRelations,
  latestEdits,
  latestThreadEvents,
  referenceChildren,
  threadSummaries,
} from "../storage/rooms/relations.ts";
import { ignoredUsers } from "./ignored-users.ts";
import { checkEventsVisibility } from "./visibility.ts";

/** Server-side aggregations of one parent event, before formatting (spec "Aggregations of child events"). */
export interface RelationBundle {
  replace?: StoredEvent;
  thread?: { latest: StoredEvent; count: number; participated: boolean };
  references?: string[];
}

type BundleContext = Pick<HearthContext, "db" | "streams">;

/** How many recent replies to look through for one the user may see, when the newest is hidden. */
const THREAD_LATEST_SCAN = 20;

/**
 * Aggregations for `parents` as `userId` sees them. Edits are not bundled on redacted parents; state
 * events get none (spec). Events served in full (the edit, a thread's latest reply) must pass history
 * visibility; counts are as known to the server.
 */
export async function loadRelationBundles(
  ctx: BundleContext,
  parents: readonly StoredEvent[],
  userId: string,
  opts: { threads?: boolean } = {},
): Promise<Map<string, RelationBundle>> {
  const out = new Map<string, RelationBundle>();
  const stateless = parents.filter((ev) => typeof ev.pdu.state_key !== "string");
  if (stateless.length === 0) return out;
  // Reads that loaded the events may already know which have children (sync's timeline does).
  const unknown = stateless.filter((ev) => ev.hasRelations === undefined).map((ev) => ev.eventId);
  const related = await parentsWithRelations(ctx.db, unknown);
  const eligible = stateless.filter((ev) => ev.hasRelations ?? related.has(ev.eventId));
  if (eligible.length === 0) return out;
  const maxStream = ctx.streams.events.persistedUpTo;
  const ids = eligible.map((ev) => ev.eventId);
  const editable = eligible.filter((ev) => ev.redactedBy === null).map((ev) => ev.eventId);
  const withThreads = opts.threads !== false;
  // Spec: aggregations must not count child events from users the requester ignores.
  const ignored = withThreads ? [...(await ignoredUsers(ctx, userId))] : [];

  const [edits, summaries, latest, references] = await Promise.all([
    latestEdits(ctx.db, editable, maxStream),
    withThreads ? threadSummaries(ctx.db, ids, userId, maxStream, ignored) : new Map<string, never>(),
    withThreads
      ? latestThreadEvents(ctx.db, ids, THREAD_LATEST_SCAN, maxStream, ignored)
      : new Map<string, never>(),
    referenceChildren(ctx.db, ids, maxStream),
  ]);
  const candidates = [...edits.values(), ...[...latest.values()].flat()];
  const verdicts = await checkEventsVisibility(ctx, userId, candidates);
  const visible = (ev: StoredEvent): boolean => verdicts.get(ev.eventId)?.visible === true;

  for (const parent of eligible) {
    const bundle: RelationBundle = {};
    const edit = edits.get(parent.eventId);
    if (edit && visible(edit)) bundle.replace = edit;
    const summary = summaries.get(parent.eventId);
    const latestVisible = latest.get(parent.eventId)?.find(visible);
    if (summary && latestVisible) {
      bundle.thread = {
        latest: latestVisible,
        count: summary.count,
        participated: summary.participated || parent.pdu.sender === userId,
      };
    }
    const refs = references.get(parent.eventId);
    if (refs && refs.length > 0) bundle.references = refs;
    if (bundle.replace || bundle.thread || bundle.references) out.set(parent.eventId, bundle);
  }
  return out;
}
