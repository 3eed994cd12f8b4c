import { userPowerLevel } from "../power-levels.ts";
import { isCreateEvent, isPowerLevelsEvent, type EventGraph } from "./event-graph.ts";

/**
 * The sender's power level for the reverse topological power ordering, read from the event's OWN auth
 * events (spec: "when looking at their respective auth_events"), never from the current state: an
 * event is ranked by the power its sender claimed when sending it.
 *
 * The create event cites nothing, so there is no power to read and it ranks 0, as in Synapse; it
 * precedes every other event through its auth edges anyway.
 */
export function senderPowerLevel(graph: EventGraph, eventId: string): number {
  const event = graph.event(eventId, "sender power level");
  if (isCreateEvent(event)) return 0;
  let powerLevels;
  let create;
  for (const id of graph.authEvents(eventId)) {
    const authEvent = graph.event(id, `auth event of ${eventId}`);
    if (isPowerLevelsEvent(authEvent)) powerLevels ??= authEvent;
    else if (isCreateEvent(authEvent)) create ??= authEvent;
  }
  // Only a malformed event lacks the create event (listed before v12, implied by room id from v12):
  // fall back to the room's, so the creator still gets its default power.
  if (create === undefined && graph.roomCreateId !== undefined) {
    create = graph.event(graph.roomCreateId, "the room's create event");
  }
  if (create === undefined) {
    throw new Error(`cannot rank ${eventId}: no m.room.create event among its auth events or in the state`);
  }
  return userPowerLevel(graph.version, event.sender, powerLevels, create);
}
