import { describe, expect, it } from "vitest";
import { isValidServerName, normaliseCidr } from "../../src/config/validators.ts";

describe("isValidServerName", () => {
  it.each([
    "localhost",
    "localhost:8008",
    "example.org",
    "matrix.example.org:443",
    "1.2.3.4",
    "1.2.3.4:1234",
    "[1234:5678::abcd]",
    "[1234:5678::abcd]:5678",
    "[::1]:8448",
    "xn--bcher-kva.example",
  ])("accepts %s", (name) => expect(isValidServerName(name)).toBe(true));

  it.each([
    "",
    "example.org:",
    "example.org:0",
    "example.org:65536",
    "example.org:123456",
    "example.org:+80",
    "exa mple.org",
    "example.org/path",
    "user@example.org",
    "https://example.org",
    "[::1",
    "::1",
    "[not-ipv6]",
    "1.2.3",
    "256.1.1.1",
    "a..b",
    ".example.org",
    "example.org.",
    "-bad.example",
    "bad-.example",
    "under_score.example",
    `${"a".repeat(64)}.example`,
  ])("rejects %j", (name) => expect(isValidServerName(name)).toBe(false));
});

describe("normaliseCidr", () => {
  it("keeps ranges and turns single addresses into host ranges", () => {
    expect(normaliseCidr("10.0.0.0/8")).toBe("10.0.0.0/8");
    expect(normaliseCidr("192.168.1.1")).toBe("192.168.1.1/32");
    expect(normaliseCidr("fd00::/8")).toBe("fd00::/8");
    expect(normaliseCidr("::1")).toBe("::1/128");
    expect(normaliseCidr("10.0.0.0/08")).toBe("10.0.0.0/8");
  });

  it("rejects what is not an IP range", () => {
    for (const bad of [
      "10.0.0.0/33",
      "fd00::/129",
      "10.0.0.0/",
      "10.0.0.0/-1",
      "example.org/8",
      "10.0.0/8",
      "",
    ]) {
      expect(normaliseCidr(bad), bad).toBeUndefined();
    }
  });
});
