import { checkAuth, checkAuthEventsSelection } from "../core/auth-rules.ts";
import { assertValidPdu, checkEventSize, EventFormatError } from "../core/event-format.ts";
import type { IdentifiedPdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import type { StateTupleKey } from "../core/state-key.ts";
import { badJson, forbidden, MatrixError } from "../errors.ts";
import { CanonicalJsonError } from "../core/canonical-json.ts";
import { buildEvent, federationPdu, type BuildInput } from "./build-event.ts";

/**
 * The checks a locally built event must pass before it is stored, as client errors: size (413),
 * shape and canonical JSON, e.g. floats in v6+ content (400 M_BAD_JSON), and the auth rules against
 * the state it was built on (403 with the rules' reason). `authState` holds the auth events by state
 * key plus the create event (which v12 events do not cite but the rules need).
 */
export function checkLocalEvent(
  version: RoomVersion,
  event: IdentifiedPdu,
  authEvents: readonly IdentifiedPdu[],
  authState: ReadonlyMap<StateTupleKey, IdentifiedPdu>,
): void {
  const pdu = federationPdu(version, event);
  // Legal in JSON but not in PostgreSQL text, where type and state key are stored as columns.
  if (
    event.type.includes("\u0000") ||
    (typeof event.state_key === "string" && event.state_key.includes("\u0000"))
  ) {
    throw badJson("Event types and state keys must not contain NUL");
  }
  const size = checkEventSize(pdu, version, event.event_id);
  if (size) {
    const what = size.field === "event" ? "Event" : `'${size.field}'`;
    throw new MatrixError(413, "M_TOO_LARGE", `${what} is too large (${size.actual} > ${size.limit} bytes)`);
  }
  try {
    assertValidPdu(pdu, version);
  } catch (e) {
    if (e instanceof EventFormatError) throw badJson(e.message);
    throw e;
  }
  // The builder chose the auth events from the same state; a failure here is a bug, not bad input.
  const selection = checkAuthEventsSelection(version, event, authEvents);
  if (!selection.allowed) throw new Error(`built an event with bad auth_events: ${selection.reason}`);
  const auth = checkAuth(version, event, authState);
  if (!auth.allowed) throw forbidden(auth.reason);
}

/**
 * Builds a local event and checks it. Content that canonical JSON cannot encode in this room version
 * (floats, integers beyond ±(2^53−1) from v6 on) fails while hashing, before the format check could
 * see it; it is the client's bad JSON all the same.
 */
export function buildCheckedEvent(
  input: BuildInput,
  authState: ReadonlyMap<StateTupleKey, IdentifiedPdu>,
): IdentifiedPdu {
  let event: IdentifiedPdu;
  try {
    event = buildEvent(input);
  } catch (e) {
    if (e instanceof CanonicalJsonError)
      throw badJson(`Content is not valid in this room version: ${e.message}`);
    throw e;
  }
  checkLocalEvent(input.version, event, input.authEvents, authState);
  return event;
}
