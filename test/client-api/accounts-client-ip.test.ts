import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveClientIp } from "../../src/http/client-ip.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";

describe("resolveClientIp", () => {
  const trusted = ["10.0.0.0/8", "::1/128"];

  it("uses the socket peer when no proxy is trusted or the peer is not one", () => {
    expect(resolveClientIp("203.0.113.5", "198.51.100.1", [])).toBe("203.0.113.5");
    expect(resolveClientIp("203.0.113.5", "198.51.100.1", trusted)).toBe("203.0.113.5");
    expect(resolveClientIp(null, "198.51.100.1", trusted)).toBeNull();
  });

  it("behind trusted proxies, takes the nearest untrusted X-Forwarded-For hop", () => {
    expect(resolveClientIp("10.1.2.3", "198.51.100.1", trusted)).toBe("198.51.100.1");
    expect(resolveClientIp("10.1.2.3", "6.6.6.6, 198.51.100.1, 10.9.9.9", trusted)).toBe("198.51.100.1");
    expect(resolveClientIp("::1", "2001:db8::7", trusted)).toBe("2001:db8::7");
    expect(resolveClientIp("::ffff:10.1.2.3", "::ffff:198.51.100.1", trusted)).toBe("198.51.100.1");
  });

  it("ignores garbage hops and falls back sensibly", () => {
    expect(resolveClientIp("10.1.2.3", "not-an-ip, unknown", trusted)).toBe("10.1.2.3");
    expect(resolveClientIp("10.1.2.3", "10.4.4.4", trusted)).toBe("10.4.4.4");
    expect(resolveClientIp("10.1.2.3", undefined, trusted)).toBe("10.1.2.3");
  });
});

describe("client addresses over a real socket", () => {
  let plain: TestHomeserver;
  let proxied: TestHomeserver;
  beforeAll(async () => {
    [plain, proxied] = await Promise.all([
      startTestHomeserver(),
      startTestHomeserver({ http: { trusted_proxies: ["127.0.0.1/32", "::1/128"] } }),
    ]);
    await Promise.all([plain.listen(), proxied.listen()]);
  });
  afterAll(() => Promise.all([plain?.destroy(), proxied?.destroy()]));

  async function lastSeenIp(hs: TestHomeserver): Promise<unknown> {
    const user = await createTestUser(hs, "ipuser", { deviceId: "IPDEV" });
    const base = hs.listeners[0]?.url.replace(/\/$/, "");
    const headers = { authorization: `Bearer ${user.accessToken}`, "x-forwarded-for": "198.51.100.7" };
    await fetch(`${base}/_matrix/client/v3/account/whoami`, { headers });
    const res = await fetch(`${base}/_matrix/client/v3/devices/IPDEV`, { headers });
    return ((await res.json()) as { last_seen_ip?: string }).last_seen_ip;
  }

  it("an untrusted peer's X-Forwarded-For is ignored", async () => {
    expect(await lastSeenIp(plain)).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
  });

  it("a trusted proxy's X-Forwarded-For names the client", async () => {
    expect(await lastSeenIp(proxied)).toBe("198.51.100.7");
  });
});
