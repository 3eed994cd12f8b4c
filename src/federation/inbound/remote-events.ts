import { isJsonObject, type JsonObject, type JsonValue } from "../../core/json.ts";
import type { FederationClient, FederationRequest } from "../contracts.ts";

/** A remote server did not answer a fetch usefully (unreachable, non-200, or the wrong shape). */
export class RemoteFetchError extends Error {}

const enc = encodeURIComponent;

async function getJson(client: FederationClient, req: FederationRequest): Promise<JsonObject> {
  let res;
  try {
    res = await client.request(req);
  } catch (e) {
    throw new RemoteFetchError(`${req.destination} unreachable: ${(e as Error).message}`);
  }
  if (res.status !== 200 || !isJsonObject(res.body)) {
    throw new RemoteFetchError(`${req.method} ${req.path} on ${req.destination} answered ${res.status}`);
  }
  return res.body;
}

function objects(value: JsonValue | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function strings(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** `GET /v1/event/{eventId}`: the PDU, unchecked. */
export async function fetchRemoteEvent(
  client: FederationClient,
  destination: string,
  eventId: string,
): Promise<JsonObject> {
  const body = await getJson(client, {
    destination,
    method: "GET",
    path: `/_matrix/federation/v1/event/${enc(eventId)}`,
  });
  const pdu = objects(body.pdus)[0];
  if (!pdu) throw new RemoteFetchError(`${destination} returned no PDU for ${eventId}`);
  return pdu;
}

/** `GET /v1/event_auth/{roomId}/{eventId}`: the event's full auth chain, unchecked. */
export async function fetchRemoteAuthChain(
  client: FederationClient,
  destination: string,
  roomId: string,
  eventId: string,
): Promise<JsonObject[]> {
  const body = await getJson(client, {
    destination,
    method: "GET",
    path: `/_matrix/federation/v1/event_auth/${enc(roomId)}/${enc(eventId)}`,
  });
  return objects(body.auth_chain);
}

/** `POST /v1/get_missing_events/{roomId}`: events between `earliest` and `latest`, unchecked. */
export async function fetchMissingEvents(
  client: FederationClient,
  destination: string,
  roomId: string,
  q: { earliest: readonly string[]; latest: readonly string[]; limit: number; minDepth: number },
): Promise<JsonObject[]> {
  const body = await getJson(client, {
    destination,
    method: "POST",
    path: `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`,
    body: {
      earliest_events: [...q.earliest],
      latest_events: [...q.latest],
      limit: q.limit,
      min_depth: q.minDepth,
    },
  });
  return objects(body.events);
}

/** `GET /v1/state_ids/{roomId}?event_id=`: the ids of the state before the event and its auth chain. */
export async function fetchStateIds(
  client: FederationClient,
  destination: string,
  roomId: string,
  eventId: string,
): Promise<{ pduIds: string[]; authChainIds: string[] }> {
  const body = await getJson(client, {
    destination,
    method: "GET",
    path: `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(eventId)}`,
  });
  return { pduIds: strings(body.pdu_ids), authChainIds: strings(body.auth_chain_ids) };
}
