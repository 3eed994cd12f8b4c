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
