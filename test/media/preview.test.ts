import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { get, png } from "./media-support.ts";

let site: Server;
let base: string;
let hs: TestHomeserver;
let alice: Session;
let image: Buffer;

const PAGE = `<!doctype html><html><head>
<title>Ignored when og:title exists</title>
<meta content="A &amp; B &#x2014; &quot;quoted&quot;" property="og:title">
<meta property='og:description' content='Described'>
<meta property="og:image" content="/img.png">
</head><body>${"x".repeat(100)}</body></html>`;

beforeAll(async () => {
  image = await png(120, 60);
  site = createServer((req, res) => {
    switch (req.url) {
      case "/page":
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
        return;
      case "/plain":
        res
          .writeHead(200, { "content-type": "text/html" })
          .end(
            '<html><head><title> Just  a title </title><meta name="description" content="desc"></head></html>',
          );
        return;
      case "/img.png":
        res.writeHead(200, { "content-type": "image/png" }).end(image);
        return;
      case "/redirect":
        res.writeHead(302, { location: "/page" }).end();
        return;
      case "/huge":
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<html><head><title>Huge</title></head><body>${"y".repeat(200_000)}</body></html>`);
        return;
      case "/hang":
        return; // never answers
      default:
        res.writeHead(404).end();
    }
  });
  site.listen(0, "127.0.0.1");
  await once(site, "listening");
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  hs = await startTestHomeserver({
    media: {
      url_preview: { enabled: true, allow_private_addresses: true, max_bytes: 64 * 1024, timeout_ms: 1000 },
    },
  });
  alice = await createTestUser(hs, "alice");
});
afterAll(async () => {
  site?.closeAllConnections();
  site?.close();
  await hs?.destroy();
});

const preview = (h: TestHomeserver, s: Session | undefined, url: string) =>
  get(h, `/_matrix/client/v1/media/preview_url?url=${encodeURIComponent(url)}`, s);

describe("URL previews", () => {
  it("parses OpenGraph and stores the page's image as local media", async () => {
    const res = await preview(hs, alice, `${base}/page`);
    expect(res.status).toBe(200);
    const og = (await res.json()) as Record<string, unknown>;
    expect(og).toMatchObject({
      "og:title": 'A & B \u2014 "quoted"',
      "og:description": "Described",
      "og:image:type": "image/png",
      "og:image:width": 120,
      "og:image:height": 60,
      "matrix:image:size": image.length,
    });
    const mxc = String(og["og:image"]);
    expect(mxc).toMatch(/^mxc:\/\/hearth\.test\//);
    const img = await get(hs, `/_matrix/client/v1/media/download/${mxc.slice(6)}`, alice);
    expect(Buffer.from(await img.arrayBuffer())).toEqual(image);
  });

  it("falls back to <title> and the description meta; follows redirects; cuts huge pages", async () => {
    expect(await (await preview(hs, alice, `${base}/plain`)).json()).toEqual({
      "og:title": "Just a title",
      "og:description": "desc",
    });
    const redirected = (await (await preview(hs, alice, `${base}/redirect`)).json()) as Record<
      string,
      unknown
    >;
    expect(redirected["og:description"]).toBe("Described");
    expect(await (await preview(hs, alice, `${base}/huge`)).json()).toEqual({ "og:title": "Huge" });
    const direct = (await (await preview(hs, alice, `${base}/img.png`)).json()) as Record<string, unknown>;
    expect(direct["og:image:type"]).toBe("image/png");
  });

  it("refuses bad URLs, needs a token, and reports unreachable, failing and slow pages", async () => {
    for (const bad of ["not a url", "ftp://example.org/x", "http://user:pw@example.org/"]) {
      const res = await preview(hs, alice, bad);
      expect(res.status, bad).toBe(400);
    }
    const missing = await get(hs, "/_matrix/client/v1/media/preview_url", alice);
    expect(((await missing.json()) as { errcode: string }).errcode).toBe("M_MISSING_PARAM");
    expect((await preview(hs, undefined, `${base}/page`)).status).toBe(401);
    expect((await preview(hs, alice, `${base}/missing`)).status).toBe(502);
    const slow = await preview(hs, alice, `${base}/hang`);
    expect(slow.status).toBe(504);
  });
});

describe("URL preview policy", () => {
  it("is off by default (404 M_UNRECOGNIZED)", async () => {
    const off = await startTestHomeserver();
    try {
      const bob = await createTestUser(off, "bob");
      const res = await preview(off, bob, `${base}/page`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { errcode: string }).errcode).toBe("M_UNRECOGNIZED");
    } finally {
      await off.destroy();
    }
  });

  it("refuses loopback and private addresses unless allowed, by IP and by name", async () => {
    const strict = await startTestHomeserver({ media: { url_preview: { enabled: true } } });
    try {
      const bob = await createTestUser(strict, "bob");
      const port = new URL(base).port;
      for (const url of [
        `${base}/page`,
        `http://localhost:${port}/page`,
        "http://10.0.0.1/",
        "http://[::1]/",
      ]) {
        const res = await preview(strict, bob, url);
        expect(res.status, url).toBe(403);
        expect(((await res.json()) as { errcode: string }).errcode).toBe("M_FORBIDDEN");
      }
    } finally {
      await strict.destroy();
    }
  });
});
