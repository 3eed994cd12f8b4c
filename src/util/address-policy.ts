import { BlockList, isIP, isIPv4 } from "node:net";

/**
 * Which IP addresses outbound requests (federation, remote media, previews) may reach: never the
 * private, loopback, link-local and other special ranges unless the config allows them, never the
 * deny list, always the allow list. Checked on the address actually connected to, after DNS.
 */
export interface AddressPolicyConfig {
  allow_private_addresses: boolean;
  ip_range_allowlist: readonly string[];
  ip_range_denylist: readonly string[];
}

// IANA special-purpose ranges (RFC 6890 and successors) that are not the public internet.
const SPECIAL_RANGES: readonly [string, number, "ipv4" | "ipv6"][] = [
  ["0.0.0.0", 8, "ipv4"],
  ["10.0.0.0", 8, "ipv4"],
  ["100.64.0.0", 10, "ipv4"],
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"],
  ["172.16.0.0", 12, "ipv4"],
  ["192.0.0.0", 24, "ipv4"],
  ["192.0.2.0", 24, "ipv4"],
  ["192.88.99.0", 24, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  ["198.18.0.0", 15, "ipv4"],
  ["198.51.100.0", 24, "ipv4"],
  ["203.0.113.0", 24, "ipv4"],
  ["224.0.0.0", 4, "ipv4"],
  ["240.0.0.0", 4, "ipv4"],
  ["::", 128, "ipv6"],
  ["::1", 128, "ipv6"],
  ["64:ff9b:1::", 48, "ipv6"],
  ["100::", 64, "ipv6"],
  ["2001::", 23, "ipv6"],
  ["2001:db8::", 32, "ipv6"],
  ["fc00::", 7, "ipv6"],
  ["fe80::", 10, "ipv6"],
  ["fec0::", 10, "ipv6"],
  ["ff00::", 8, "ipv6"],
];

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = "", prefix = ""] = cidr.split("/");
    list.addSubnet(address, Number(prefix), isIPv4(address) ? "ipv4" : "ipv6");
  }
  return list;
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it carries. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

export class AddressPolicy {
  private readonly special = new BlockList();
  private readonly allow: BlockList;
  private readonly deny: BlockList;

  constructor(private readonly config: AddressPolicyConfig) {
    for (const [address, prefix, family] of SPECIAL_RANGES) this.special.addSubnet(address, prefix, family);
    this.allow = blockListOf(config.ip_range_allowlist);
    this.deny = blockListOf(config.ip_range_denylist);
  }

  /** Whether an outbound connection to this IP address is allowed. Non-addresses are refused. */
  allows(rawAddress: string): boolean {
    const address = unmapped(rawAddress);
    const family = isIP(address);
    if (family === 0) return false;
    const type = family === 4 ? "ipv4" : "ipv6";
    if (this.deny.check(address, type)) return false;
    if (this.allow.check(address, type)) return true;
    return this.config.allow_private_addresses || !this.special.check(address, type);
  }
}
