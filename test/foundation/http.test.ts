import nacl from "tweetnacl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCanonicalJson } from "../../src/core/canonical-json.ts";
import { decodeBase64 } from "../../src/core/base64.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { HearthApp } from "../../src/http/types.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";

let hs: TestHomeserver;
let app: HearthApp;
const NOW = 1_700_000_000_000;

beforeAll(async () => {
  hs = await startTestHomeserver(
    {
      public_baseurl: "https://matrix.hearth.test/",
      well_known: { server: "matrix.hearth.test:443" },
      http: { max_request_bytes: 1024 },
    },
    { clock: () => NOW },
  );
  app = hs.app();
  // A route that fails like a bug would, to see what the client gets.
  app.post("/_test/boom", () => {
    throw new Error("secret internal detail");
  });
  app.post("/_test/echo", async (c) => {
    const { readJsonObject } = await import("../../src/http/body.ts");
    return c.json(await readJsonObject(c));
  });
});
afterAll(() => hs?.destroy());

const get = (path: string, init?: RequestInit) => app.request(path, init);

describe("errors are Matrix errors", () => {
  it("unknown path → 404 M_UNRECOGNIZED with CORS", async () => {
    const res = await get("/_matrix/client/v3/nonexistent");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
  });

  it("known path with the wrong method → 405 M_UNRECOGNIZED", async () => {
    const res = await get("/_matrix/client/versions", { method: "POST", body: "{}" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain("GET");
    expect(await res.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
  });

  it("non-JSON body → 400 M_NOT_JSON; a JSON non-object → 400 M_BAD_JSON", async () => {
    const notJson = await get("/_test/echo", { method: "POST", body: "{nope" });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ errcode: "M_NOT_JSON" });
    const empty = await get("/_test/echo", { method: "POST", body: "" });
    expect(await empty.json()).toMatchObject({ errcode: "M_NOT_JSON" });
    const array = await get("/_test/echo", { method: "POST", body: "[1,2]" });
    expect(array.status).toBe(400);
    expect(await array.json()).toMatchObject({ errcode: "M_BAD_JSON" });
    const ok = await get("/_test/echo", { method: "POST", body: '{"a":1}' });
    expect(await ok.json()).toEqual({ a: 1 });
  });

  it("body over the limit → 413 M_TOO_LARGE", async () => {
    const res = await get("/_test/echo", {
      method: "POST",
      body: JSON.stringify({ pad: "x".repeat(2000) }),
      headers: { "content-length": "2012" },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ errcode: "M_TOO_LARGE" });
  });

  it("a thrown bug → 500 M_UNKNOWN without the stack or message", async () => {
    const res = await get("/_test/boom", { method: "POST", body: "{}" });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ errcode: "M_UNKNOWN" });
    expect(text).not.toContain("secret internal detail");
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("CORS", () => {
  it("answers preflights without running handlers, even on unknown paths", async () => {
    for (const path of ["/_test/boom", "/_matrix/client/v3/anything"]) {
      const res = await get(path, {
        method: "OPTIONS",
        headers: { origin: "https://app.element.io", "access-control-request-method": "POST" },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-methods")).toContain("PUT");
      expect(res.headers.get("access-control-allow-headers")).toContain("Authorization");
    }
  });

  it("is on well-known responses", async () => {
    const res = await get("/.well-known/matrix/client", { headers: { origin: "https://x.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("discovery", () => {
  it("GET /_matrix/client/versions lists v1.5 and v1.11 (authenticated media)", async () => {
    const res = await get("/_matrix/client/versions");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { versions: string[]; unstable_features: object };
    expect(body.versions).toContain("v1.5");
    expect(body.versions).toContain("r0.6.1");
    expect(body.versions).toContain("v1.11");
    expect(body.unstable_features).toEqual({});
  });

  it("serves both well-knowns from config", async () => {
    expect(await (await get("/.well-known/matrix/client")).json()).toEqual({
      "m.homeserver": { base_url: "https://matrix.hearth.test/" },
    });
    expect(await (await get("/.well-known/matrix/server")).json()).toEqual({
      "m.server": "matrix.hearth.test:443",
    });
  });

  it("GET /_matrix/federation/v1/version", async () => {
    const body = (await (await get("/_matrix/federation/v1/version")).json()) as { server: { name: string } };
    expect(body.server.name).toBe("Hearth");
  });

  it("/health answers OK when the database does", async () => {
    const res = await get("/health");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("OK");
  });

  it("/metrics has request counters by route and the DB pool", async () => {
    await get("/_matrix/client/versions");
    const text = await (await get("/metrics")).text();
    expect(text).toMatch(
      /hearth_http_requests_total\{method="GET",route="\/_matrix\/client\/versions",status="200"\} \d+/,
    );
    expect(text).toContain("hearth_http_request_duration_seconds_bucket");
    expect(text).toContain("hearth_db_pool_connections");
    expect(text).toContain("hearth_nodejs_eventloop_lag_seconds");
  });
});

describe("GET /_matrix/key/v2/server", () => {
  it("is self-signed with the current key, verifiable by tweetnacl", async () => {
    const res = await get("/_matrix/key/v2/server");
    expect(res.status).toBe(200);
    const body = (await res.json()) as JsonObject & {
      verify_keys: Record<string, { key: string }>;
      signatures: Record<string, Record<string, string>>;
      valid_until_ts: number;
    };
    expect(body.server_name).toBe("hearth.test");
    const keyId = hs.ctx.keys.current.keyId;
    expect(Object.keys(body.verify_keys)).toEqual([keyId]);
    expect(body.valid_until_ts).toBeGreaterThan(NOW + 12 * 3600_000);
    expect(body.valid_until_ts).toBeLessThanOrEqual(NOW + 7 * 24 * 3600_000);
    expect(body.old_verify_keys).toEqual({});

    const signature = body.signatures["hearth.test"]?.[keyId];
    expect(signature).toBeTypeOf("string");
    const { signatures: _s, ...unsigned } = body;
    const message = new TextEncoder().encode(encodeCanonicalJson(unsigned));
    const publicKey = decodeBase64(body.verify_keys[keyId]!.key);
    expect(nacl.sign.detached.verify(message, decodeBase64(signature!), publicKey)).toBe(true);

    const tampered = new TextEncoder().encode(encodeCanonicalJson({ ...unsigned, server_name: "evil.test" }));
    expect(nacl.sign.detached.verify(tampered, decodeBase64(signature!), publicKey)).toBe(false);
  });
});
