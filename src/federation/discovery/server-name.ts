import { isIP } from "node:net";

/** A server name split into host and optional port (spec appendix "Server Name"). */
export interface ParsedServerName {
  /** Hostname or IP address, IPv6 without brackets. */
  host: string;
  port?: number;
  isIpLiteral: boolean;
}

/** Splits `host[:port]` / `[v6][:port]`; undefined when it is not a server name. */
export function parseServerName(name: string): ParsedServerName | undefined {
  let host: string;
  let portText: string | undefined;
  if (name.startsWith("[")) {
    const close = name.indexOf("]");
    if (close < 0) return undefined;
    host = name.slice(1, close);
    const rest = name.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return undefined;
    portText = rest === "" ? undefined : rest.slice(1);
    if (isIP(host) !== 6) return undefined;
  } else {
    const colon = name.lastIndexOf(":");
    host = colon < 0 ? name : name.slice(0, colon);
    portText = colon < 0 ? undefined : name.slice(colon + 1);
    if (host.includes(":")) return undefined;
    if (!/^[A-Za-z0-9.-]+$/.test(host) || host.length > 255) return undefined;
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
    if (port < 1 || port > 65535) return undefined;
  }
  const isIpLiteral = isIP(host) !== 0;
  return port === undefined ? { host, isIpLiteral } : { host, port, isIpLiteral };
}
