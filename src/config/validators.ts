import { isIPv4, isIPv6 } from "node:net";

/*
 * Plain predicates behind the schema's refinements. Messages never echo the offending value: some of
 * these fields (database and Redis URLs) carry passwords, and config errors end up in logs.
 */

// RFC 1123 labels. The spec's grammar would also allow a leading or trailing hyphen, but no such name
// resolves, so accepting one only defers the error.
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const ALL_DIGITS_AND_DOTS = /^[0-9.]+$/;

/** The host part of a server name (spec appendix "Server Name"): DNS name, IPv4, or bracketed IPv6. */
export function isValidHost(host: string): boolean {
  if (host.startsWith("[")) {
    return host.endsWith("]") && isIPv6(host.slice(1, -1));
  }
  // Digits and dots are legal DNS characters, but a name made only of them is an IPv4 literal to every
  // resolver, so it must be a well-formed one.
  if (ALL_DIGITS_AND_DOTS.test(host)) return isIPv4(host);
  if (host.length === 0 || host.length > 255) return false;
  return host.split(".").every((label) => DNS_LABEL.test(label));
}

function isValidPort(port: string): boolean {
  if (!/^[0-9]{1,5}$/.test(port)) return false;
  const n = Number(port);
  return n >= 1 && n <= 65535;
}

/** `host[:port]` as the spec's server_name grammar allows (also the form of `m.server` delegation). */
export function isValidServerName(name: string): boolean {
  // The port separator is the last colon outside IPv6 brackets.
  const close = name.lastIndexOf("]");
  const colon = name.lastIndexOf(":");
  if (colon > close) {
    return isValidHost(name.slice(0, colon)) && isValidPort(name.slice(colon + 1));
  }
  return isValidHost(name);
}

/**
 * True when `value` parses as a URL whose scheme is one of `protocols` (e.g. "postgres:"). Postgres
 * URLs may omit the host (`postgres:///db?host=/run/postgresql` reaches a Unix socket); others may not.
 */
export function hasUrlScheme(value: string, protocols: readonly string[], requireHost = true): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return protocols.includes(url.protocol) && (url.host !== "" || !requireHost);
}

/**
 * Normalises an IP range to CIDR form ("10.0.0.0/8", "fd00::/8"); a bare address means that single
 * host. Returns undefined when the text is neither.
 */
export function normaliseCidr(value: string): string | undefined {
  const slash = value.indexOf("/");
  const address = slash === -1 ? value : value.slice(0, slash);
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
  if (max === 0) return undefined;
  if (slash === -1) return `${address}/${max}`;
  const prefix = value.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > max) return undefined;
  return `${address}/${Number(prefix)}`;
}

/** Registration tokens (spec: m.login.registration_token): `[A-Za-z0-9._~-]`, at most 64 characters. */
export const REGISTRATION_TOKEN = /^[A-Za-z0-9._~-]{1,64}$/;
