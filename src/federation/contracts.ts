import type { JsonObject, JsonValue } from "../core/json.ts";
import type { Pdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";

/*
 * The seams between the federation parts: transport (client, keyring, request auth), inbound event
 * handling and the outbound sender each build against these, and tests substitute fakes for them.
 */

export interface FederationRequest {
  /** Server name as it appears in ids (`example.org`, `localhost:8448`); discovery turns it into an address. */
  destination: string;
  method: "GET" | "PUT" | "POST" | "DELETE";
  /** Percent-encoded path with its query string, e.g. `/_matrix/federation/v1/event/%24abc`. */
  path: string;
  /** JSON body, signed into the X-Matrix Authorization header with the exact bytes sent. */
  body?: JsonObject;
  /**
   * Instead of `body`: a JSON object already encoded as canonical JSON, sent and signed as it is (a
   * transaction assembled from stored PDU texts need not be parsed and encoded again).
   */
  canonicalBody?: string;
  timeoutMs?: number;
}

export interface FederationResponse {
  status: number;
  /** Parsed JSON body (lossless numbers); undefined when the body was not JSON. */
  body: JsonValue | undefined;
  /** The body's bytes as received, for non-JSON answers (federation media is multipart/mixed). */
  rawBody?: Uint8Array;
  headers: Headers;
}

/** A failure to reach the destination at all (DNS, connect, TLS, timeout, blocked address). */
export class FederationUnreachableError extends Error {
  constructor(
    readonly destination: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = "FederationUnreachableError";
  }
}

/** Outbound server-server requests: X-Matrix signed, discovered, over undici (or in-process in tests). */
export interface FederationClient {
  /** Non-2xx statuses are returned, not thrown; only unreachable destinations throw. */
  request(req: FederationRequest): Promise<FederationResponse>;
}

/** A signature that does not verify, or a key that cannot be found or is not valid at the time. */
export class SignatureVerificationError extends Error {
  constructor(
    readonly server: string,
    message: string,
  ) {
    super(message);
    this.name = "SignatureVerificationError";
  }
}

/** Remote servers' verify keys, fetched directly or through notaries and cached. */
export interface Keyring {
  /**
   * Checks that `obj` carries a valid signature by `server` with a key valid at `atTs` (its
   * `valid_until_ts`, capped at 7 days from when fetched, for room versions that require it).
   * Throws SignatureVerificationError.
   */
  verifyServerSignature(server: string, obj: JsonObject, atTs: number): Promise<void>;
  /**
   * Checks every signature the room version requires of a PDU (sender's server, and the joined
   * user's server for restricted joins), over the redacted form. Throws SignatureVerificationError.
   */
  verifyEventSignatures(pdu: Pdu, version: RoomVersion): Promise<void>;
}

/** Wakes durable delivery to other servers. The outbox rows themselves are written in the room's transaction. */
export interface FederationSender {
  /** After commit: these destinations have new outbox rows. */
  wake(destinations: Iterable<string>): void;
  /** Queue an ephemeral event (typing, receipt, presence, device list update, to-device) for a destination. */
  queueEdu(destination: string, eduType: string, content: JsonObject): Promise<void>;
  /** A destination just talked to us: retry it now rather than at the end of its backoff. */
  destinationIsUp(destination: string): void;
  stop(): Promise<void>;
}
