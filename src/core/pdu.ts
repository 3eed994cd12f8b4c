import type { JsonObject, JsonValue } from "./json.ts";

/**
 * A PDU in federation format. Fields beyond the common ones are kept (the hash covers them), so the
 * type is open. v1/v2 PDUs carry `event_id` and list `[eventId, {sha256}]` pairs in prev/auth events;
 * v3+ PDUs list bare event ids. v12 create events have no `room_id`.
 */
export interface Pdu extends JsonObject {
  type: string;
  sender: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  prev_events: JsonValue[];
  auth_events: JsonValue[];
}

/**
 * A PDU with its event id attached (computed from the reference hash for v3+, carried for v1/v2).
 * Auth rules and state resolution work on these.
 */
export interface IdentifiedPdu extends Pdu {
  event_id: string;
}

function refIds(refs: readonly JsonValue[]): string[] {
  const ids: string[] = [];
  for (const ref of refs) {
    if (typeof ref === "string") ids.push(ref);
    else if (Array.isArray(ref) && typeof ref[0] === "string") ids.push(ref[0]);
  }
  return ids;
}

/** Event ids cited in `auth_events`, for either reference format. */
export function authEventIds(pdu: Pdu): string[] {
  return refIds(pdu.auth_events);
}

/** Event ids cited in `prev_events`, for either reference format. */
export function prevEventIds(pdu: Pdu): string[] {
  return refIds(pdu.prev_events);
}

/** The state key, or undefined for a non-state event. */
export function stateKeyOf(pdu: Pdu): string | undefined {
  return typeof pdu.state_key === "string" ? pdu.state_key : undefined;
}
