import { isJsonObject, type JsonValue } from "./json.ts";

/**
 * Server ACLs (`m.room.server_acl`, spec client-server §Server Access Control Lists): which servers
 * may take part in a room over federation. Pure: the caller passes the ACL event's content.
 */

/** A compiled ACL; `undefined` content (no ACL event) allows everyone. */
export interface ServerAcl {
  allowIpLiterals: boolean;
  allow: RegExp[];
  deny: RegExp[];
}

/** `*` any run of characters, `?` exactly one; everything else literal; case-insensitive (v1.19). */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (const ch of glob) {
    if (ch === "*") out += ".*";
    else if (ch === "?") out += ".";
    else out += ch.replace(/[\\^$.|+()[\]{}]/g, (c) => `\\${c}`);
  }
  return new RegExp(`^${out}$`, "isu");
}

function globs(value: JsonValue | undefined): RegExp[] {
  // A malformed list or entry is ignored rather than failing the room (Synapse does the same).
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === "string").map(globToRegExp);
}

export function compileServerAcl(content: JsonValue | undefined): ServerAcl | undefined {
  if (!isJsonObject(content)) return undefined;
  return {
    // Only an explicit false turns IP literals away; anything else keeps the default (true).
    allowIpLiterals: content.allow_ip_literals !== false,
    allow: globs(content.allow),
    deny: globs(content.deny),
  };
}

/** The host of a server name without its port: `[::1]:8448` → `[::1]`, `a.org:8448` → `a.org`. */
export function hostOfServerName(serverName: string): string {
  if (serverName.startsWith("[")) {
    const end = serverName.indexOf("]");
    return end < 0 ? serverName : serverName.slice(0, end + 1);
  }
  const colon = serverName.lastIndexOf(":");
  return colon < 0 ? serverName : serverName.slice(0, colon);
}

function isIpLiteral(host: string): boolean {
  return host.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/**
 * Whether `serverName` may take part: IP literals refused unless allowed, then deny wins over allow,
 * and a server no allow entry matches is refused. The port is never part of the match.
 */
export function isServerAllowed(acl: ServerAcl | undefined, serverName: string): boolean {
  if (!acl) return true;
  const host = hostOfServerName(serverName);
  if (!acl.allowIpLiterals && isIpLiteral(host)) return false;
  if (acl.deny.some((re) => re.test(host))) return false;
  return acl.allow.some((re) => re.test(host));
}
