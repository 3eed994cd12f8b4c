import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { deleteMedia, quarantineMedia } from "../../src/media/admin.ts";
import { getMedia } from "../../src/storage/media/media.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { contentFiles, get, png, tempFiles, upload, uploadOk } from "./media-support.ts";

let hs: TestHomeserver;
let alice: Session;

beforeAll(async () => {
  hs = await startTestHomeserver({ media: { max_upload_bytes: 64 * 1024 } });
  alice = await createTestUser(hs, "alice");
});
afterAll(() => hs?.destroy());

const dl = (id: string): string => `/_matrix/client/v1/media/download/${id}`;

describe("upload and authenticated download", () => {
  it("round-trips bytes with safe headers, an ETag and a 304 on revalidation", async () => {
    const bytes = await png(20, 10);
    const id = await uploadOk(hs, alice, bytes, "image/png", "dot.png");
    expect(id).toMatch(/^hearth\.test\/[A-Za-z0-9_-]+$/);
    const res = await get(hs, dl(id), alice);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toBe('inline; filename="dot.png"');
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toMatch(/^sandbox; default-src 'none'/);
    expect(res.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    const etag = `"${createHash("sha256").update(bytes).digest("hex")}"`;
    expect(res.headers.get("etag")).toBe(etag);
    const again = await get(hs, dl(id), alice, { "if-none-match": etag });
    expect(again.status).toBe(304);
    const head = await hs
      .app()
      .request(dl(id), { method: "HEAD", headers: { authorization: `Bearer ${alice.accessToken}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(bytes.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const row = await getMedia(hs.ctx.db, { serverName: "hearth.test", mediaId: id.split("/")[1] ?? "" });
    expect(row).toMatchObject({ uploader: alice.userId, width: 20, height: 10, sizeBytes: bytes.length });
  });

  it("needs an access token on /_matrix/client/v1/media", async () => {
    const id = await uploadOk(hs, alice, "hello", "text/plain");
    const res = await get(hs, dl(id));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errcode: string }).errcode).toBe("M_MISSING_TOKEN");
    expect((await upload(hs, undefined, "x", "text/plain")).status).toBe(401);
  });

  it("serves HTML and SVG as attachments, the file name from the path winning, non-ASCII names encoded", async () => {
    const html = await uploadOk(hs, alice, "<script>alert(1)</script>", "text/html", "page.html");
    const res = await get(hs, dl(html), alice);
    expect(res.headers.get("content-type")).toBe("text/html");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="page.html"');
    const svg = await uploadOk(hs, alice, '<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml");
    expect((await get(hs, dl(svg), alice)).headers.get("content-disposition")).toBe("attachment");
    const named = await get(hs, `${dl(html)}/r%C3%A9sum%C3%A9.html`, alice);
    expect(named.headers.get("content-disposition")).toBe(
      "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.html",
    );
  });

  it("labels octet-stream uploads by their sniffed type and corrects a wrong image subtype", async () => {
    const bytes = await png(4, 4);
    const generic = await uploadOk(hs, alice, bytes, "application/octet-stream");
    expect((await get(hs, dl(generic), alice)).headers.get("content-type")).toBe("image/png");
    const untyped = await uploadOk(hs, alice, bytes);
    expect((await get(hs, dl(untyped), alice)).headers.get("content-type")).toBe("image/png");
    const mislabelled = await uploadOk(hs, alice, bytes, "image/jpeg");
    expect((await get(hs, dl(mislabelled), alice)).headers.get("content-type")).toBe("image/png");
    const encrypted = await uploadOk(hs, alice, "\x8a\x01random-ciphertext", "application/octet-stream");
    expect((await get(hs, dl(encrypted), alice)).headers.get("content-type")).toBe(
      "application/octet-stream",
    );
  });

  it("refuses lying uploads: a non-image declared as an image, a PDF declared as audio", async () => {
    for (const [bytes, type] of [
      ["just text", "image/png"],
      ["%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n", "audio/mpeg"],
      [Buffer.from("PK\x03\x04\x14\x00\x00\x00\x08\x00"), "image/gif"],
    ] as const) {
      const before = (await contentFiles(hs)).length;
      const res = await upload(hs, alice, bytes, type);
      expect(res.status, type).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
      expect((await contentFiles(hs)).length).toBe(before);
    }
    expect(await tempFiles(hs)).toEqual([]);
  });

  it("refuses malformed Content-Type and filename", async () => {
    expect((await upload(hs, alice, "x", "not a type")).body.errcode).toBe("M_INVALID_PARAM");
    expect((await upload(hs, alice, "x", "text/plain", "a\u0001b")).body.errcode).toBe("M_INVALID_PARAM");
    expect((await upload(hs, alice, "x", "text/plain", "n".repeat(256))).body.errcode).toBe(
      "M_INVALID_PARAM",
    );
  });

  it("413 M_TOO_LARGE past media.max_upload_bytes, streamed or declared, leaving nothing behind", async () => {
    const before = await contentFiles(hs);
    const big = Buffer.alloc(64 * 1024 + 1, 7);
    const streamed = await upload(hs, alice, big, "application/octet-stream");
    expect(streamed.status).toBe(413);
    expect(streamed.body.errcode).toBe("M_TOO_LARGE");
    const declared = await hs.app().request("/_matrix/media/v3/upload", {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-length": String(10 * 1024 * 1024) },
      body: "small",
    });
    expect(declared.status).toBe(413);
    // Bigger than the 1 MiB JSON limit is fine for media as long as it is under the media limit.
    const atLimit = await upload(hs, alice, Buffer.alloc(64 * 1024, 7), "application/octet-stream");
    expect(atLimit.status).toBe(200);
    expect((await contentFiles(hs)).length).toBe(before.length + 1);
    expect(await tempFiles(hs)).toEqual([]);
  });

  it("identical uploads share one stored file", async () => {
    const before = (await contentFiles(hs)).length;
    const a = await uploadOk(hs, alice, "same bytes twice", "text/plain");
    const b = await uploadOk(hs, alice, "same bytes twice", "text/plain");
    expect(a).not.toBe(b);
    expect((await contentFiles(hs)).length).toBe(before + 1);
  });

  it("unknown ids are 404 M_NOT_FOUND; traversal-looking ids and bad server names are 400", async () => {
    const unknown = await get(hs, dl("hearth.test/doesNotExist"), alice);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { errcode: string }).errcode).toBe("M_NOT_FOUND");
    for (const bad of [
      "hearth.test/..%2F..%2Fetc%2Fpasswd",
      "hearth.test/a.b",
      "hearth.test/%00",
      "bad%20server/abc",
    ]) {
      const res = await get(hs, dl(bad), alice);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { errcode: string }).errcode).toBe("M_INVALID_PARAM");
    }
  });

  it("the media config reports the upload limit", async () => {
    for (const p of ["/_matrix/client/v1/media/config", "/_matrix/media/v3/config"]) {
      const res = await get(hs, p, alice);
      expect(await res.json()).toEqual({ "m.upload.size": 64 * 1024 });
    }
    expect((await get(hs, "/_matrix/client/v1/media/config")).status).toBe(401);
  });
});

describe("range requests", () => {
  it("206 with Content-Range for a range, a suffix and an open end; 416 past the end", async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    const id = await uploadOk(hs, alice, bytes, "application/octet-stream");
    const part = await get(hs, dl(id), alice, { range: "bytes=10-19" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 10-19/1000");
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(10, 20));
    const suffix = await get(hs, dl(id), alice, { range: "bytes=-5" });
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(bytes.subarray(995));
    const open = await get(hs, dl(id), alice, { range: "bytes=990-" });
    expect(open.headers.get("content-range")).toBe("bytes 990-999/1000");
    const clamped = await get(hs, dl(id), alice, { range: "bytes=998-5000" });
    expect(Buffer.from(await clamped.arrayBuffer())).toEqual(bytes.subarray(998));
    const beyond = await get(hs, dl(id), alice, { range: "bytes=1000-1010" });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */1000");
    expect(((await beyond.json()) as { errcode: string }).errcode).toBe("M_INVALID_PARAM");
    const garbage = await get(hs, dl(id), alice, { range: "lines=1-2" });
    expect(garbage.status).toBe(200);
    expect((await garbage.arrayBuffer()).byteLength).toBe(1000);
  });
});

describe("asynchronous upload", () => {
  const create = async (s: Session) => {
    const res = await hs.app().request("/_matrix/media/v1/create", {
      method: "POST",
      headers: { authorization: `Bearer ${s.accessToken}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const put = (s: Session, id: string, body: string) =>
    hs.app().request(`/_matrix/media/v3/upload/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${s.accessToken}`, "content-type": "text/plain" },
      body,
    });

  it("create, wait for the upload, then download; 409 on a second upload; 403 for someone else", async () => {
    const bob = await createTestUser(hs, "bob-async");
    const created = await create(alice);
    expect(created.status).toBe(200);
    expect(created.body.unused_expires_at).toBeGreaterThan(Date.now());
    const id = String(created.body.content_uri).replace("mxc://", "");

    const early = await get(hs, `${dl(id)}?timeout_ms=0`, alice);
    expect(early.status).toBe(504);
    expect(((await early.json()) as { errcode: string }).errcode).toBe("M_NOT_YET_UPLOADED");

    const waiting = get(hs, `${dl(id)}?timeout_ms=20000`, alice);
    expect((await put(bob, id, "not yours")).status).toBe(403);
    expect((await put(alice, id, "later bytes")).status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("later bytes");

    const second = await put(alice, id, "again");
    expect(second.status).toBe(409);
    expect(((await second.json()) as { errcode: string }).errcode).toBe("M_CANNOT_OVERWRITE_MEDIA");
    expect((await put(alice, "hearth.test/neverCreated", "x")).status).toBe(404);
  });

  it("limits pending uploads per user with 429 M_LIMIT_EXCEEDED", async () => {
    const carol = await createTestUser(hs, "carol-async");
    for (let i = 0; i < hs.ctx.config.media.max_pending_uploads; i++)
      expect((await create(carol)).status).toBe(200);
    const refused = await create(carol);
    expect(refused.status).toBe(429);
    expect(refused.body.errcode).toBe("M_LIMIT_EXCEEDED");
  });
});

describe("legacy unauthenticated endpoints", () => {
  it("are frozen: media uploaded after the server's first start is only served authenticated", async () => {
    const id = await uploadOk(hs, alice, "new media", "text/plain");
    const res = await get(hs, `/_matrix/media/v3/download/${id}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errcode: string }).errcode).toBe("M_NOT_FOUND");
  });

  it("serve media created before the freeze, without a token, publicly cacheable", async () => {
    const old = await startTestHomeserver({ media: { legacy_freeze_at: "2999-01-01T00:00:00Z" } });
    try {
      const bob = await createTestUser(old, "bob");
      const id = await uploadOk(old, bob, "old media", "text/plain");
      const res = await get(old, `/_matrix/media/v3/download/${id}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("old media");
      expect(res.headers.get("cache-control")).toMatch(/^public/);
      expect((await get(old, `/_matrix/media/r0/download/${id}/x.txt`)).status).toBe(200);
    } finally {
      await old.destroy();
    }
  });
});

describe("quarantine and deletion", () => {
  it("quarantined media is 404; deleted media loses its bytes unless shared", async () => {
    const id = await uploadOk(hs, alice, "to be quarantined", "text/plain");
    const shared = await uploadOk(hs, alice, "shared bytes", "text/plain");
    const sharedToo = await uploadOk(hs, alice, "shared bytes", "text/plain");
    const key = (s: string) => ({ serverName: "hearth.test", mediaId: s.split("/")[1] ?? "" });
    expect(await quarantineMedia(hs.ctx, key(id))).toBe(1);
    expect((await get(hs, dl(id), alice)).status).toBe(404);
    expect(await quarantineMedia(hs.ctx, key(id), false)).toBe(1);
    expect((await get(hs, dl(id), alice)).status).toBe(200);

    const before = (await contentFiles(hs)).length;
    expect(await deleteMedia(hs.ctx, key(shared))).toBe(true);
    expect((await contentFiles(hs)).length).toBe(before);
    expect(await (await get(hs, dl(sharedToo), alice)).text()).toBe("shared bytes");
    expect(await deleteMedia(hs.ctx, key(sharedToo))).toBe(true);
    expect((await contentFiles(hs)).length).toBe(before - 1);
    expect((await get(hs, dl(sharedToo), alice)).status).toBe(404);
    expect(await deleteMedia(hs.ctx, key(sharedToo))).toBe(false);
  });
});

describe("pending upload expiry", () => {
  it("an id from /create that is never used expires: 404 for uploads and downloads", async () => {
    let now = Date.now();
    const timed = await startTestHomeserver(
      { media: { pending_upload_expiry_ms: 1000 } },
      { clock: () => now },
    );
    try {
      const dave = await createTestUser(timed, "dave");
      const res = await timed.app().request("/_matrix/media/v1/create", {
        method: "POST",
        headers: { authorization: `Bearer ${dave.accessToken}` },
      });
      const { content_uri: uri, unused_expires_at: expires } = (await res.json()) as {
        content_uri: string;
        unused_expires_at: number;
      };
      expect(expires).toBe(now + 1000);
      now += 1001;
      const id = uri.slice(6);
      const put = await timed.app().request(`/_matrix/media/v3/upload/${id}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${dave.accessToken}` },
        body: "too late",
      });
      expect(put.status).toBe(404);
      expect((await get(timed, `${dl(id)}?timeout_ms=0`, dave)).status).toBe(404);
    } finally {
      await timed.destroy();
    }
  });
});
