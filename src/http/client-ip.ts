import { BlockList, isIPv4, isIPv6 } from "node:net";

/** `::ffff:1.2.3.4` (how dual-stack sockets report IPv4 peers) as plain IPv4, so v4 ranges match. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

function trustedList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = "", prefix = ""] = cidr.split("/");
    list.addSubnet(address, Number(prefix), isIPv4(address) ? "ipv4" : "ipv6");
  }
  return list;
}

function isIn(list: BlockList, address: string): boolean {
  if (isIPv4(address)) return list.check(address, "ipv4");
  if (isIPv6(address)) return list.check(address, "ipv6");
  return false;
}

/**
 * The client's address: the socket peer, unless that peer is a trusted proxy, in which case the
 * nearest X-Forwarded-For hop that is not itself a trusted proxy. Untrusted peers' headers are
 * ignored, since anyone can send one.
 */
export function resolveClientIp(
  peer: string | null,
  forwardedFor: string | undefined,
  trustedProxies: readonly string[],
): string | null {
  if (peer === null) return null;
  const address = unmapped(peer);
  if (trustedProxies.length === 0 || forwardedFor === undefined) return address;
  const trusted = trustedList(trustedProxies);
  if (!isIn(trusted, address)) return address;
  const hops = forwardedFor
    .split(",")
    .map((h) => unmapped(h.trim()))
    .filter((h) => isIPv4(h) || isIPv6(h));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!isIn(trusted, hop)) return hop;
  }
  return hops[0] ?? address;
}
