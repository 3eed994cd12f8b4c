import { encodeCanonicalJson } from "../../core/canonical-json.ts";
import { parseJsonBytes } from "../../core/json-parse.ts";
import type { JsonValue } from "../../core/json.ts";
import type { SigningKey } from "../../core/signing.ts";
import {
  FederationUnreachableError,
  type FederationClient,
  type FederationRequest,
  type FederationResponse,
} from "../contracts.ts";
import { signXMatrixRequest, signXMatrixRequestCanonical } from "../x-matrix.ts";
import type { FederationTransport } from "./transport.ts";

export const DEFAULT_FEDERATION_TIMEOUT_MS = 60_000;

export interface FederationClientDeps {
  serverName: string;
  /** Read on every request, so a rotated key is used at once. */
  signingKey: () => SigningKey;
  transport: FederationTransport;
}

/** The response body as lossless JSON, or undefined when it is empty or not JSON. */
function parseBody(bytes: Uint8Array): JsonValue | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return parseJsonBytes(bytes);
  } catch {
    return undefined;
  }
}

/** Signs every request with X-Matrix over the exact bytes it sends, then hands it to the transport. */
export function createFederationClient(deps: FederationClientDeps): FederationClient {
  return {
    async request(req: FederationRequest): Promise<FederationResponse> {
      const parts = {
        method: req.method,
        uri: req.path,
        origin: deps.serverName,
        destination: req.destination,
      };
      let bytes: Buffer | undefined;
      let authorization: string;
      if (req.canonicalBody !== undefined) {
        bytes = Buffer.from(req.canonicalBody, "utf8");
        authorization = signXMatrixRequestCanonical(deps.signingKey(), parts, req.canonicalBody);
      } else {
        // Non-strict: bodies may carry room v1–v5 events with floats, sent as their sender spelt them.
        bytes =
          req.body === undefined ? undefined : Buffer.from(encodeCanonicalJson(req.body, { strict: false }));
        authorization = signXMatrixRequest(deps.signingKey(), { ...parts, content: req.body });
      }
      const headers: Record<string, string> = { Authorization: authorization, Accept: "application/json" };
      if (bytes !== undefined) headers["Content-Type"] = "application/json";
      let res;
      try {
        res = await deps.transport.send({
          destination: req.destination,
          method: req.method,
          path: req.path,
          headers,
          body: bytes,
          timeoutMs: req.timeoutMs ?? DEFAULT_FEDERATION_TIMEOUT_MS,
        });
      } catch (err) {
        if (err instanceof FederationUnreachableError) throw err;
        throw new FederationUnreachableError(req.destination, `Request to ${req.destination} failed`, err);
      }
      return { status: res.status, headers: res.headers, body: parseBody(res.body), rawBody: res.body };
    },
  };
}
