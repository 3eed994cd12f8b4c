import { describe, expect, it } from "vitest";
import { compileServerAcl, hostOfServerName, isServerAllowed } from "../../src/core/server-acl.ts";

describe("server ACLs", () => {
  it("allows everyone without an ACL event", () => {
    expect(isServerAllowed(compileServerAcl(undefined), "evil.example")).toBe(true);
  });

  it("refuses servers no allow entry matches (allow defaults to empty)", () => {
    const acl = compileServerAcl({ deny: [] });
    expect(isServerAllowed(acl, "good.example")).toBe(false);
  });

  it("lets deny win over allow, with * and ? globs", () => {
    const acl = compileServerAcl({ allow: ["*"], deny: ["*.evil.example", "ba?.example"] });
    expect(isServerAllowed(acl, "good.example")).toBe(true);
    expect(isServerAllowed(acl, "a.evil.example")).toBe(false);
    expect(isServerAllowed(acl, "bad.example")).toBe(false);
    expect(isServerAllowed(acl, "baad.example")).toBe(true);
    // `*.evil.example` does not match the bare domain.
    expect(isServerAllowed(acl, "evil.example")).toBe(true);
  });

  it("matches case-insensitively and ignores the port", () => {
    const acl = compileServerAcl({ allow: ["*"], deny: ["Evil.Example"] });
    expect(isServerAllowed(acl, "EVIL.example:8448")).toBe(false);
    expect(isServerAllowed(acl, "evil.example")).toBe(false);
  });

  it("treats regex metacharacters literally", () => {
    const acl = compileServerAcl({ allow: ["a.b", "x(y)+"] });
    expect(isServerAllowed(acl, "a.b")).toBe(true);
    expect(isServerAllowed(acl, "axb")).toBe(false);
    expect(isServerAllowed(acl, "x(y)+")).toBe(true);
    expect(isServerAllowed(acl, "xyy")).toBe(false);
  });

  it("refuses IP literals only when allow_ip_literals is false", () => {
    const strict = compileServerAcl({ allow: ["*"], allow_ip_literals: false });
    expect(isServerAllowed(strict, "1.2.3.4")).toBe(false);
    expect(isServerAllowed(strict, "1.2.3.4:8448")).toBe(false);
    expect(isServerAllowed(strict, "[::1]:8448")).toBe(false);
    expect(isServerAllowed(strict, "host.example")).toBe(true);
    const lax = compileServerAcl({ allow: ["*"], allow_ip_literals: "no" });
    expect(isServerAllowed(lax, "1.2.3.4")).toBe(true);
  });

  it("ignores malformed entries instead of failing", () => {
    const acl = compileServerAcl({ allow: ["ok.example", 3, null], deny: "not a list" });
    expect(isServerAllowed(acl, "ok.example")).toBe(true);
    expect(isServerAllowed(acl, "other.example")).toBe(false);
  });

  it("strips ports from names and bracketed IPv6", () => {
    expect(hostOfServerName("a.org:8448")).toBe("a.org");
    expect(hostOfServerName("[::1]:8448")).toBe("[::1]");
    expect(hostOfServerName("[::1]")).toBe("[::1]");
    expect(hostOfServerName("a.org")).toBe("a.org");
  });
});
