/**
 * Inbound X-Matrix authentication (spec server-server §Request Authentication): the signature in the
 * Authorization header must verify, with the origin's key, over the method, the uri as sent, both
 * server names and the body exactly as received.
 */
import type { MiddlewareHandler } from "hono";
import type { HearthContext } from "../context.ts";
import { parseJsonBytes } from "../core/json-parse.ts";
import { CanonicalJsonError } from "../core/json-error.ts";
import type { JsonValue } from "../core/json.ts";
import { isValidServerName } from "../config/validators.ts";
import { MatrixError } from "../errors.ts";
import type { HearthEnv } from "../http/types.ts";
import { SignatureVerificationError } from "./contracts.ts";
import { parseXMatrixAuthorization, XMatrixHeaderError, type XMatrixCredentials } from "./x-matrix-header.ts";
import { requestBytes } from "../http/request-body.ts";
import { xMatrixSignedJson } from "./x-matrix.ts";

/**
 * Keys are checked as of this long ago, so a key whose `valid_until_ts` has just passed on the
 * origin's clock (a little behind ours) still authenticates its requests.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60 * 1000;

const unauthorized = (message: string): MatrixError => new MatrixError(401, "M_UNAUTHORIZED", message);

/** The request target as sent: path and query, without scheme and host, not re-encoded. */
function requestUri(url: string): string {
  const afterScheme = url.indexOf("//");
  const slash = url.indexOf("/", afterScheme < 0 ? 0 : afterScheme + 2);
  return slash < 0 ? "/" : url.slice(slash);
}

function credentialsOf(header: string | undefined, serverName: string): XMatrixCredentials[] {
  if (!header) throw unauthorized("Missing Authorization header");
  let credentials: XMatrixCredentials[];
  try {
    credentials = parseXMatrixAuthorization(header);
  } catch (err) {
    if (err instanceof XMatrixHeaderError) throw unauthorized(err.message);
    throw err;
  }
  const origin = credentials[0]!.origin;
  if (credentials.some((c) => c.origin !== origin)) {
    throw unauthorized("Authorization headers name different origins");
  }
  if (!isValidServerName(origin)) throw unauthorized("Authorization origin is not a server name");
  for (const c of credentials) {
    if (c.destination !== undefined && c.destination !== serverName) {
      throw unauthorized(`Request is for ${c.destination}, not this server`);
    }
  }
  return credentials;
}

/**
 * Middleware for every authenticated federation route: verifies the X-Matrix signature and sets
 * `c.var.origin` (the requesting server) and `c.var.federationContent` (the body, parsed losslessly
 * from the bytes that were verified; undefined without a body). Errors: 401 M_UNAUTHORIZED for a
 * missing, malformed or wrong-destination header or a signature that does not verify, 400
 * M_NOT_JSON/M_BAD_JSON for a body that is not JSON.
 */
export function requireServerAuth(ctx: HearthContext): MiddlewareHandler<HearthEnv> {
  return async (c, next) => {
    const credentials = credentialsOf(c.req.header("authorization"), ctx.serverName);
    const raw = await requestBytes(c);
    let content: JsonValue | undefined;
    if (raw.length > 0) {
      try {
        content = parseJsonBytes(raw);
      } catch (err) {
        if (err instanceof CanonicalJsonError) throw new MatrixError(400, err.errcode, err.message);
        throw err;
      }
    }
    const origin = credentials[0]!.origin;
    const parts = {
      method: c.req.method,
      uri: requestUri(c.req.url),
      origin,
      // Always our name: a sender that left `destination` out of the header still signed it (v1.3+)
      // or signed nothing for it, and then verification fails as it should.
      destination: ctx.serverName,
      content,
    };
    const atTs = ctx.clock() - CLOCK_SKEW_TOLERANCE_MS;
    let lastError: SignatureVerificationError | undefined;
    let verified = false;
    for (const cred of credentials) {
      try {
        await ctx.federation.keyring.verifyServerSignature(
          origin,
          xMatrixSignedJson(parts, cred.key, cred.sig),
          atTs,
        );
        verified = true;
        break;
      } catch (err) {
        if (!(err instanceof SignatureVerificationError)) throw err;
        lastError = err;
      }
    }
    if (!verified) throw unauthorized(`Invalid X-Matrix signature: ${lastError?.message ?? "unverified"}`);
    // It reached us, so it is probably reachable too: cut short any backoff towards it.
    ctx.federation.sender.destinationIsUp(origin);
    c.set("origin", origin);
    c.set("federationContent", content);
    await next();
  };
}
