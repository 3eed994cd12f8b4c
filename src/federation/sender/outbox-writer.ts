import { stateKeyOf, type IdentifiedPdu } from "../../core/pdu.ts";
import type { HearthContext } from "../../context.ts";
import type { Db } from "../../storage/database.ts";
import { insertOutboxPdus } from "../../storage/federation/outbox.ts";
import { joinedServers } from "../../storage/federation/room-servers.ts";
import { serversAllowedInRoom } from "../inbound/room-acl.ts";

/** The server part of a user id (everything after the first colon). */
export function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(":") + 1);
}

export interface OutboundEvent {
  roomId: string;
  event: IdentifiedPdu;
  streamOrdering: number;
  /** The extremities the event was built on (the room as the writer saw it under the lock). */
  builtOn: readonly string[];
  /** The room's extremities after the event; undefined when they did not move. */
  extremitiesAfter: readonly string[] | undefined;
  /** Whether the event changed anyone's current membership. */
  membershipChanged: boolean;
}

/**
 * The servers a local user's event that changes no membership (nor the ACL) goes to, when the room's
 * entry in the servers cache was made on the extremities it is built on; undefined otherwise. What
 * `recordOutbound` would find, without a read.
 */
export function cachedServers(
  ctx: Pick<HearthContext, "federation">,
  roomId: string,
  event: { type: string },
  builtOn: readonly string[],
): readonly string[] | undefined {
  if (event.type === "m.room.member" || event.type === "m.room.server_acl") return undefined;
  return ctx.federation.sender.roomServers.get(roomId, builtOn);
}

/**
 * Records, inside the event's room transaction, which servers must receive a local event: every other
 * server with a joined member in the state after it, plus the target's server of a membership event
 * (a kicked or banned user's server hears of it; invites go out through the invite API instead),
 * less the servers the room's `m.room.server_acl` denies. Returns the destinations, to wake after commit. A room known to have no remote members costs nothing.
 */
export async function recordOutbound(
  ctx: Pick<HearthContext, "serverName" | "federation">,
  tx: Db,
  ev: OutboundEvent,
): Promise<string[]> {
  const cache = ctx.federation.sender.roomServers;
  const target = ev.event.type === "m.room.member" ? stateKeyOf(ev.event) : undefined;
  const targetServer =
    target !== undefined && target.includes(":") && ev.event.content.membership !== "invite"
      ? serverOf(target)
      : undefined;
  // Membership and ACL changes change who may receive the room's events: read afresh. Not for a member
  // event of one of our users on the extremities the cache saw: that changes no other server's
  // membership (joins into a big local room would otherwise each read every member).
  const localMember =
    ev.event.type === "m.room.member" && target !== undefined && serverOf(target) === ctx.serverName;
  const fresh =
    ev.event.type === "m.room.server_acl" ||
    (ev.membershipChanged && !localMember) ||
    (targetServer !== undefined && targetServer !== ctx.serverName);
  let servers = fresh ? undefined : cache.get(ev.roomId, ev.builtOn);
  const destinations = new Set<string>();
  if (servers === undefined) {
    const joined = (await joinedServers(tx, ev.roomId)).filter((s) => s !== ctx.serverName);
    const candidates = targetServer === undefined ? joined : [...new Set([...joined, targetServer])];
    const allowed = new Set(await serversAllowedInRoom(tx, ev.roomId, candidates));
    servers = joined.filter((s) => allowed.has(s)).sort();
    if (targetServer !== undefined && targetServer !== ctx.serverName && allowed.has(targetServer)) {
      destinations.add(targetServer);
    }
  }
  cache.set(ev.roomId, ev.extremitiesAfter, servers);
  for (const s of servers) destinations.add(s);
  // A remote event fanned out by us (a join we served) never goes back to its own server.
  destinations.delete(serverOf(ev.event.sender));
  const out = [...destinations];
  await insertOutboxPdus(tx, out, {
    streamOrdering: ev.streamOrdering,
    roomId: ev.roomId,
    eventId: ev.event.event_id,
  });
  return out;
}
