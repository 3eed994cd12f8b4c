import { isValidServerName } from "../config/validators.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface ParsedAlias {
  alias: string;
  localpart: string;
  domain: string;
}

/**
 * A room alias per the spec appendix: `#localpart:domain`, the localpart any non-surrogate code points
 * except `:` and NUL, the domain a server name, at most 255 bytes in all. Undefined when malformed.
 */
export function parseRoomAlias(alias: string): ParsedAlias | undefined {
  if (!alias.startsWith("#") || Buffer.byteLength(alias) > 255) return undefined;
  const colon = alias.indexOf(":");
  if (colon < 0) return undefined;
  const localpart = alias.slice(1, colon);
  const domain = alias.slice(colon + 1);
  // Lone surrogates cannot be encoded as UTF-8, so they would not survive storage or federation.
  if (localpart.includes("\u0000") || LONE_SURROGATE.test(localpart)) return undefined;
  if (!isValidServerName(domain)) return undefined;
  return { alias, localpart, domain };
}
