import type { HearthContext } from "../context.ts";
import { recordOutbound } from "../federation/sender/outbox-writer.ts";
import type { Db } from "../storage/database.ts";
import { persistEvent, type PersistInput, type PersistOutcome } from "./persist-event.ts";

/**
 * Stores an event this server just built, and, in the same transaction, queues it for every other
 * server in the room (DESIGN invariant 2). Every local write path goes through here; events received
 * over federation call persistEvent directly, because only their origin sends them on.
 */
export async function persistLocalEvent(
  ctx: Pick<HearthContext, "serverName" | "federation">,
  tx: Db,
  input: PersistInput & {
    streamOrdering: number;
    extremities: readonly string[];
    /**
     * The room's other servers as the sender's cache knows them on these extremities, for an event
     * that changes nobody's membership: queued by the insert statement itself (see `cachedServers`).
     */
    knownServers?: readonly string[];
  },
): Promise<{ outcome: PersistOutcome; destinations: string[] }> {
  const servers = input.knownServers;
  if (servers !== undefined) {
    const outcome = await persistEvent(tx, { ...input, outbox: servers });
    ctx.federation.sender.roomServers.set(input.roomId, outcome.extremities, servers);
    return { outcome, destinations: [...servers] };
  }
  const outcome = await persistEvent(tx, input);
  const destinations = await recordOutbound(ctx, tx, {
    roomId: input.roomId,
    event: input.event,
    streamOrdering: input.streamOrdering,
    builtOn: input.extremities,
    extremitiesAfter: outcome.extremities,
    membershipChanged: input.event.type === "m.room.member" || outcome.membershipUsers.length > 0,
  });
  return { outcome, destinations };
}
