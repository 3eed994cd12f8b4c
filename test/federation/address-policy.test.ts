import { describe, expect, it } from "vitest";
import { AddressPolicy } from "../../src/util/address-policy.ts";

const policy = (over: Partial<ConstructorParameters<typeof AddressPolicy>[0]> = {}) =>
  new AddressPolicy({
    allow_private_addresses: false,
    ip_range_allowlist: [],
    ip_range_denylist: [],
    ...over,
  });

describe("outbound address policy", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "not-an-ip",
  ])("refuses %s by default", (address) => {
    expect(policy().allows(address)).toBe(false);
  });

  it.each(["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("allows public %s", (address) => {
    expect(policy().allows(address)).toBe(true);
  });

  it("allows private addresses when configured, but never the deny list", () => {
    const p = policy({ allow_private_addresses: true, ip_range_denylist: ["10.0.0.0/8"] });
    expect(p.allows("127.0.0.1")).toBe(true);
    expect(p.allows("10.0.0.5")).toBe(false);
  });

  it("allow list opens private ranges; deny list closes public ones and wins over the allow list", () => {
    const p = policy({
      ip_range_allowlist: ["192.168.5.0/24", "10.0.0.0/8"],
      ip_range_denylist: ["8.8.8.0/24", "10.9.0.0/16"],
    });
    expect(p.allows("192.168.5.9")).toBe(true);
    expect(p.allows("192.168.6.9")).toBe(false);
    expect(p.allows("8.8.8.8")).toBe(false);
    expect(p.allows("10.9.1.1")).toBe(false);
    expect(p.allows("10.8.1.1")).toBe(true);
  });
});
