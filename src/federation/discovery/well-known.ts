/**
 * `/.well-known/matrix/server` answers and how long to trust them (spec server-server §Resolving
 * server names, step 3). Pure: the time is passed in.
 */
import { isJsonObject } from "../../core/json.ts";
import { parseJsonBytes } from "../../core/json-parse.ts";
import { isValidServerName } from "../../config/validators.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Without cache headers (spec: "24 hours is recommended"). */
export const WELL_KNOWN_DEFAULT_CACHE_MS = 24 * HOUR;
/** Never longer, whatever the headers say (spec: "a maximum of 48 hours is recommended"). */
export const WELL_KNOWN_MAX_CACHE_MS = 48 * HOUR;
/** Never shorter, so a `no-store` answer does not cost a lookup per request. */
export const WELL_KNOWN_MIN_CACHE_MS = 5 * MINUTE;
/** The first failure is remembered this long, doubling per consecutive failure… */
export const WELL_KNOWN_ERROR_CACHE_MS = 10 * MINUTE;
/** …up to an hour (spec: errors "cached for up to an hour", with exponential back-off). */
export const WELL_KNOWN_MAX_ERROR_CACHE_MS = HOUR;

/** The delegated server name from a 200 answer's body, or undefined when the answer is invalid. */
export function parseWellKnownServer(body: Uint8Array): string | undefined {
  let json: unknown;
  try {
    json = parseJsonBytes(body);
  } catch {
    return undefined;
  }
  if (!isJsonObject(json)) return undefined;
  const server = json["m.server"];
  return typeof server === "string" && isValidServerName(server) ? server : undefined;
}

/**
 * How long a successful answer may be cached, from `Cache-Control` (`max-age`, `no-store`,
 * `no-cache`) or else `Expires`, clamped to [5 min, 48 h]; 24 h without either.
 */
export function wellKnownCacheMs(headers: Headers, now: number): number {
  const clamp = (ms: number): number =>
    Math.min(WELL_KNOWN_MAX_CACHE_MS, Math.max(WELL_KNOWN_MIN_CACHE_MS, ms));
  const cacheControl = headers.get("cache-control");
  if (cacheControl !== null) {
    const directives = cacheControl.split(",").map((d) => d.trim().toLowerCase());
    if (directives.some((d) => d === "no-store" || d === "no-cache")) return WELL_KNOWN_MIN_CACHE_MS;
    const maxAge = directives
      .map((d) => /^max-age\s*=\s*"?(\d+)"?$/.exec(d)?.[1])
      .find((v) => v !== undefined);
    if (maxAge !== undefined) return clamp(Number(maxAge) * 1000);
  }
  const expires = headers.get("expires");
  if (expires !== null) {
    const at = Date.parse(expires);
    // An unparsable Expires means "already expired" (RFC 9111 §5.3).
    return clamp(Number.isNaN(at) ? 0 : at - now);
  }
  return WELL_KNOWN_DEFAULT_CACHE_MS;
}

/** How long to remember the `failures`-th failure in a row (1-based). */
export function wellKnownErrorCacheMs(failures: number): number {
  return Math.min(WELL_KNOWN_MAX_ERROR_CACHE_MS, WELL_KNOWN_ERROR_CACHE_MS * 2 ** Math.max(0, failures - 1));
}
