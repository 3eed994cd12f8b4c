import { isJsonObject, type JsonValue } from "../../core/json.ts";
import { MatrixError } from "../../errors.ts";
import type { FederationClient, FederationRequest, FederationResponse } from "../contracts.ts";

/**
 * One remote server failed a request made for a local user: unreachable, an error status, or an
 * answer that is malformed or does not verify. `failover` says whether another server may be tried.
 */
export class RemoteServerError extends Error {
  constructor(
    readonly server: string,
    message: string,
    readonly failover: boolean,
    /** The Matrix error the server answered with, relayed to the client when it is final. */
    readonly relayed?: MatrixError,
  ) {
    super(message);
    this.name = "RemoteServerError";
  }
}

/**
 * Statuses whose Matrix error is the remote server's verdict on the request. Others are not relayed:
 * a 401 (our request's signature) or 429 (our server's rate) would tell the client something false
 * about its own session.
 */
const RELAYED_STATUSES = new Set([400, 403, 404]);

/** Errors a server answers when it is not in the room (or cannot help): try the next one. */
const FAILOVER_ERRCODES = new Set(["M_NOT_FOUND", "M_UNKNOWN", "M_UNRECOGNIZED"]);

/**
 * Sends the request and returns the JSON object it answered with. As Synapse does, a 4xx Matrix error
 * other than "not found" is the server's considered answer (e.g. M_FORBIDDEN) and is relayed as is;
 * anything else (unreachable, 5xx, not JSON) lets the caller try another server.
 */
export async function remoteJson(
  client: FederationClient,
  req: FederationRequest,
): Promise<Record<string, JsonValue>> {
  let res: FederationResponse;
  try {
    res = await client.request(req);
  } catch (e) {
    throw new RemoteServerError(
      req.destination,
      `${req.destination} is unreachable: ${(e as Error).message}`,
      true,
    );
  }
  if (res.status === 200 && isJsonObject(res.body)) return res.body;
  const body = isJsonObject(res.body) ? res.body : undefined;
  const errcode = typeof body?.errcode === "string" ? body.errcode : undefined;
  const error = typeof body?.error === "string" ? body.error : `answered ${res.status}`;
  const what = `${req.method} ${req.path.split("?")[0]} on ${req.destination}: ${errcode ?? res.status} ${error}`;
  if (RELAYED_STATUSES.has(res.status) && errcode !== undefined && !FAILOVER_ERRCODES.has(errcode)) {
    const extra: Record<string, unknown> = {};
    if (typeof body?.room_version === "string") extra.room_version = body.room_version;
    // Relayed with its own status so clients see e.g. 403 M_FORBIDDEN as if we had refused.
    const status = res.status as 400 | 403 | 404;
    throw new RemoteServerError(req.destination, what, false, new MatrixError(status, errcode, error, extra));
  }
  throw new RemoteServerError(req.destination, what, true);
}

/** 502 M_UNKNOWN after every server failed, as Synapse answers, naming each server's failure. */
export function allServersFailed(what: string, errors: readonly RemoteServerError[]): MatrixError {
  const reasons = errors.map((e) => e.message).join("; ");
  return new MatrixError(502, "M_UNKNOWN", `${what}: ${reasons || "no server could be asked"}`);
}

/** The error a caller gives its client for a failure that ends the attempt. */
export function finalError(e: RemoteServerError): MatrixError {
  return e.relayed ?? new MatrixError(502, "M_UNKNOWN", e.message);
}
