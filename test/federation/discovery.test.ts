import type { SrvRecord } from "node:dns";
import { describe, expect, it } from "vitest";
import { createServerResolver, type WellKnownResponse } from "../../src/federation/discovery/resolver.ts";
import { parseServerName } from "../../src/federation/discovery/server-name.ts";
import { pickSrvTarget } from "../../src/federation/discovery/srv.ts";
import {
  parseWellKnownServer,
  wellKnownCacheMs,
  wellKnownErrorCacheMs,
} from "../../src/federation/discovery/well-known.ts";

const HOUR = 3600_000;
const srv = (name: string, port: number, priority = 10, weight = 5): SrvRecord => ({
  name,
  port,
  priority,
  weight,
});

/** Fake DNS and well-known answers, counting lookups, with a movable clock. */
function world() {
  const srvRecords = new Map<string, SrvRecord[]>();
  const wellKnown = new Map<string, WellKnownResponse | Error>();
  const calls = { srv: [] as string[], wellKnown: [] as string[] };
  let now = 1_000_000;
  const resolver = createServerResolver({
    clock: () => now,
    dns: {
      async resolveSrv(name) {
        calls.srv.push(name);
        const records = srvRecords.get(name);
        if (!records) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
        return records;
      },
    },
    async fetchWellKnown(hostname) {
      calls.wellKnown.push(hostname);
      const answer = wellKnown.get(hostname) ?? new Error("ECONNREFUSED");
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  const json = (body: unknown, headers: Record<string, string> = {}, status = 200): WellKnownResponse => ({
    status,
    headers: new Headers(headers),
    body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
  });
  return {
    resolver,
    srvRecords,
    wellKnown,
    calls,
    json,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("server discovery", () => {
  it("uses IP literals as given, port 8448 by default, with the server name as Host", async () => {
    const w = world();
    expect(await w.resolver.resolve("1.2.3.4")).toEqual({
      host: "1.2.3.4",
      port: 8448,
      hostHeader: "1.2.3.4",
      tlsName: "1.2.3.4",
    });
    expect(await w.resolver.resolve("[2001:db8::1]:8449")).toEqual({
      host: "2001:db8::1",
      port: 8449,
      hostHeader: "[2001:db8::1]:8449",
      tlsName: "2001:db8::1",
    });
    expect(w.calls).toEqual({ srv: [], wellKnown: [] });
  });

  it("uses an explicit port without well-known or SRV", async () => {
    const w = world();
    expect(await w.resolver.resolve("example.org:8000")).toEqual({
      host: "example.org",
      port: 8000,
      hostHeader: "example.org:8000",
      tlsName: "example.org",
    });
    expect(w.calls).toEqual({ srv: [], wellKnown: [] });
  });

  it("follows well-known delegation with a port", async () => {
    const w = world();
    w.wellKnown.set("example.org", w.json({ "m.server": "matrix.example.net:443" }));
    expect(await w.resolver.resolve("example.org")).toEqual({
      host: "matrix.example.net",
      port: 443,
      hostHeader: "matrix.example.net:443",
      tlsName: "matrix.example.net",
    });
    expect(w.calls.srv).toEqual([]);
  });

  it("follows well-known delegation to an IP literal", async () => {
    const w = world();
    w.wellKnown.set("example.org", w.json({ "m.server": "5.6.7.8" }));
    expect(await w.resolver.resolve("example.org")).toMatchObject({
      host: "5.6.7.8",
      port: 8448,
      tlsName: "5.6.7.8",
    });
  });

  it("looks up SRV for a delegated name without port: _matrix-fed first, then _matrix, then 8448", async () => {
    const w = world();
    w.wellKnown.set("a.org", w.json({ "m.server": "deleg.a.net" }));
    w.srvRecords.set("_matrix-fed._tcp.deleg.a.net", [srv("target.a.net.", 8443)]);
    w.srvRecords.set("_matrix._tcp.deleg.a.net", [srv("old.a.net", 1)]);
    expect(await w.resolver.resolve("a.org")).toEqual({
      host: "target.a.net",
      port: 8443,
      hostHeader: "deleg.a.net",
      tlsName: "deleg.a.net",
    });

    w.wellKnown.set("b.org", w.json({ "m.server": "deleg.b.net" }));
    w.srvRecords.set("_matrix._tcp.deleg.b.net", [srv("old.b.net", 9000)]);
    expect(await w.resolver.resolve("b.org")).toMatchObject({
      host: "old.b.net",
      port: 9000,
      tlsName: "deleg.b.net",
    });

    w.wellKnown.set("c.org", w.json({ "m.server": "deleg.c.net" }));
    expect(await w.resolver.resolve("c.org")).toEqual({
      host: "deleg.c.net",
      port: 8448,
      hostHeader: "deleg.c.net",
      tlsName: "deleg.c.net",
    });
  });

  it("without well-known: SRV of the server name (cert still for the server name), then 8448", async () => {
    const w = world();
    w.srvRecords.set("_matrix-fed._tcp.srv.org", [srv("b.srv.org", 2, 20), srv("a.srv.org", 1, 10)]);
    expect(await w.resolver.resolve("srv.org")).toEqual({
      host: "a.srv.org",
      port: 1,
      hostHeader: "srv.org",
      tlsName: "srv.org",
    });
    expect(await w.resolver.resolve("plain.org")).toEqual({
      host: "plain.org",
      port: 8448,
      hostHeader: "plain.org",
      tlsName: "plain.org",
    });
  });

  it.each([
    ["a 404", (w: ReturnType<typeof world>) => w.json({ "m.server": "x.org:1" }, {}, 404)],
    ["not JSON", (w: ReturnType<typeof world>) => w.json("<html>")],
    ["no m.server", (w: ReturnType<typeof world>) => w.json({})],
    ["a bad m.server", (w: ReturnType<typeof world>) => w.json({ "m.server": "bad name:99999" })],
  ])("treats %s as no delegation", async (_name, answer) => {
    const w = world();
    w.wellKnown.set("bad.org", answer(w));
    expect(await w.resolver.resolve("bad.org")).toMatchObject({ host: "bad.org", port: 8448 });
  });

  it("caches well-known per Cache-Control, and the whole answer at most 10 minutes (SRV)", async () => {
    const w = world();
    w.wellKnown.set("c.org", w.json({ "m.server": "m.c.org:443" }, { "cache-control": "max-age=7200" }));
    await w.resolver.resolve("c.org");
    await w.resolver.resolve("c.org");
    expect(w.calls.wellKnown).toEqual(["c.org"]);
    w.advance(HOUR);
    await w.resolver.resolve("c.org");
    expect(w.calls.wellKnown).toEqual(["c.org"]);
    w.advance(HOUR + 1);
    await w.resolver.resolve("c.org");
    expect(w.calls.wellKnown).toEqual(["c.org", "c.org"]);
  });

  it("caches errors with exponential back-off up to an hour, and a success resets it", async () => {
    const w = world();
    await w.resolver.resolve("down.org");
    w.advance(9 * 60_000);
    await w.resolver.resolve("down.org");
    expect(w.calls.wellKnown).toHaveLength(1);
    w.advance(2 * 60_000);
    await w.resolver.resolve("down.org"); // second failure: 20 minutes
    expect(w.calls.wellKnown).toHaveLength(2);
    w.advance(19 * 60_000);
    await w.resolver.resolve("down.org");
    expect(w.calls.wellKnown).toHaveLength(2);
    w.advance(2 * 60_000);
    w.wellKnown.set("down.org", w.json({ "m.server": "up.org:1" }));
    expect(await w.resolver.resolve("down.org")).toMatchObject({ host: "up.org", port: 1 });
    expect(w.calls.wellKnown).toHaveLength(3);
  });

  it("resolves concurrent requests for one name with one lookup", async () => {
    const w = world();
    w.wellKnown.set("busy.org", w.json({ "m.server": "m.busy.org:1" }));
    await Promise.all([1, 2, 3].map(() => w.resolver.resolve("busy.org")));
    expect(w.calls.wellKnown).toEqual(["busy.org"]);
  });

  it("rejects invalid server names", async () => {
    const w = world();
    await expect(w.resolver.resolve("not a name")).rejects.toThrow(/Invalid server name/);
    await expect(w.resolver.resolve("x.org:0")).rejects.toThrow(/Invalid server name/);
  });
});

describe("discovery helpers", () => {
  it("parses server names", () => {
    expect(parseServerName("example.org")).toEqual({ host: "example.org", isIpLiteral: false });
    expect(parseServerName("localhost:8448")).toEqual({ host: "localhost", port: 8448, isIpLiteral: false });
    expect(parseServerName("[::1]:80")).toEqual({ host: "::1", port: 80, isIpLiteral: true });
    for (const bad of ["", "a b", "::1", "[::1", "[nope]", "x:", "x:65536", "x:-1", "[::1]x"]) {
      expect(parseServerName(bad)).toBeUndefined();
    }
  });

  it("picks SRV targets by priority then weight, and honours '.' as no service", () => {
    expect(pickSrvTarget([srv("a.", 1, 20, 0), srv("b.", 2, 10, 0), srv("c.", 3, 10, 9)])).toEqual({
      host: "c",
      port: 3,
    });
    expect(pickSrvTarget([srv(".", 0)])).toBeUndefined();
    expect(pickSrvTarget([])).toBeUndefined();
  });

  it("parses well-known bodies", () => {
    expect(parseWellKnownServer(Buffer.from('{"m.server":"a.org:443"}'))).toBe("a.org:443");
    expect(parseWellKnownServer(Buffer.from('{"m.server":5}'))).toBeUndefined();
    expect(parseWellKnownServer(Buffer.from("[]"))).toBeUndefined();
    expect(parseWellKnownServer(Buffer.from([0xff, 0xfe]))).toBeUndefined();
  });

  it("computes cache periods", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const h = (o: Record<string, string>) => new Headers(o);
    expect(wellKnownCacheMs(h({}), now)).toBe(24 * HOUR);
    expect(wellKnownCacheMs(h({ "cache-control": "public, max-age=3600" }), now)).toBe(HOUR);
    expect(wellKnownCacheMs(h({ "cache-control": "max-age=999999" }), now)).toBe(48 * HOUR);
    expect(wellKnownCacheMs(h({ "cache-control": "no-store" }), now)).toBe(5 * 60_000);
    expect(wellKnownCacheMs(h({ expires: "Thu, 01 Jan 2026 03:00:00 GMT" }), now)).toBe(3 * HOUR);
    expect(wellKnownCacheMs(h({ expires: "garbage" }), now)).toBe(5 * 60_000);
    expect([1, 2, 3, 4, 5].map(wellKnownErrorCacheMs)).toEqual([600_000, 1_200_000, 2_400_000, HOUR, HOUR]);
  });
});
