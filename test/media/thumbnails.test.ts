import { chmod, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { listThumbnails } from "../../src/storage/media/thumbnails.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { get, jpeg, png, uploadOk } from "./media-support.ts";

let hs: TestHomeserver;
let alice: Session;

beforeAll(async () => {
  hs = await startTestHomeserver({
    media: { max_image_pixels: 1_000_000, ffmpeg_path: "/nonexistent/ffmpeg" },
  });
  alice = await createTestUser(hs, "alice");
});
afterAll(() => hs?.destroy());

const thumb = (id: string, query: string): string => `/_matrix/client/v1/media/thumbnail/${id}?${query}`;

async function thumbnailOf(id: string, query: string) {
  const res = await get(hs, thumb(id, query), alice);
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { res, bytes, meta: await sharp(bytes).metadata() };
}

async function errorOf(id: string, query: string) {
  const res = await get(hs, thumb(id, query), alice);
  return { status: res.status, errcode: ((await res.json()) as { errcode: string }).errcode };
}

describe("thumbnails of a real image", () => {
  it("crop gives the exact size, scale keeps the aspect ratio; served inline, no EXIF", async () => {
    const id = await uploadOk(hs, alice, await jpeg(1000, 500), "image/jpeg");
    const cropped = await thumbnailOf(id, "width=96&height=96&method=crop");
    expect([cropped.meta.width, cropped.meta.height, cropped.meta.format]).toEqual([96, 96, "jpeg"]);
    expect(cropped.res.headers.get("content-type")).toBe("image/jpeg");
    expect(cropped.res.headers.get("content-disposition")).toBe('inline; filename="thumbnail.jpg"');
    const scaled = await thumbnailOf(id, "width=320&height=240&method=scale");
    expect([scaled.meta.width, scaled.meta.height]).toEqual([320, 160]);
    expect(scaled.meta.exif).toBeUndefined();
    // A small ask is answered by the smallest pre-generated size that covers it (the spec allows larger).
    const small = await thumbnailOf(id, "width=50&height=40");
    expect([small.meta.width, small.meta.height]).toEqual([320, 160]);
    // Sizes not pre-generated are made on demand and kept.
    const odd = await thumbnailOf(id, "width=200&height=200&method=crop");
    expect([odd.meta.width, odd.meta.height]).toEqual([200, 200]);
    const huge = await thumbnailOf(id, "width=5000&height=5000&method=scale");
    expect([huge.meta.width, huge.meta.height]).toEqual([1000, 500]);

    await hs.ctx.media.drain();
    const key = { serverName: "hearth.test", mediaId: id.split("/")[1] ?? "" };
    const stored = (await listThumbnails(hs.ctx.db, key)).map((t) => `${t.method} ${t.width}x${t.height}`);
    expect(stored.sort()).toEqual(
      [
        "crop 32x32",
        "crop 96x96",
        "scale 320x240",
        "scale 640x480",
        "scale 800x600",
        "crop 200x200",
        "scale 1600x1600",
      ].sort(),
    );
  });

  it("applies EXIF orientation before thumbnailing and strips the metadata", async () => {
    // Stored 200×100 with orientation 6 (rotate 90° clockwise): displayed 100×200.
    const id = await uploadOk(hs, alice, await jpeg(200, 100, { orientation: 6 }), "image/jpeg");
    const t = await thumbnailOf(id, "width=800&height=600&method=scale");
    expect([t.meta.width, t.meta.height]).toEqual([100, 200]);
    expect(t.meta.orientation).toBeUndefined();
  });

  it("keeps transparency as PNG", async () => {
    const id = await uploadOk(hs, alice, await png(100, 100, true), "image/png");
    const t = await thumbnailOf(id, "width=32&height=32&method=crop");
    expect(t.res.headers.get("content-type")).toBe("image/png");
    expect(t.meta.hasAlpha).toBe(true);
  });

  it("animated=true keeps a GIF's frames as WebP; animated=false or absent gives a still image", async () => {
    const frame = (r: number) =>
      sharp({ create: { width: 64, height: 64, channels: 3, background: { r, g: 0, b: 0 } } })
        .png()
        .toBuffer();
    const frames = await Promise.all([0, 120, 250].map(frame));
    const gif = await sharp(frames, { join: { animated: true } })
      .gif({ loop: 0, delay: [100, 100, 100] })
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(3);
    const id = await uploadOk(hs, alice, gif, "image/gif");
    const animated = await thumbnailOf(id, "width=32&height=32&method=crop&animated=true");
    expect(animated.res.headers.get("content-type")).toBe("image/webp");
    expect(animated.meta.pages).toBe(3);
    const still = await thumbnailOf(id, "width=32&height=32&method=crop&animated=false");
    expect(still.meta.pages ?? 1).toBe(1);
    // A JPEG cannot animate: animated=true behaves as false.
    const jpg = await uploadOk(hs, alice, await jpeg(50, 50), "image/jpeg");
    expect((await thumbnailOf(jpg, "width=32&height=32&animated=true")).res.headers.get("content-type")).toBe(
      "image/jpeg",
    );
  });
});

describe("thumbnail refusals", () => {
  it("bad parameters are 400 M_INVALID_PARAM or M_MISSING_PARAM", async () => {
    const id = await uploadOk(hs, alice, await jpeg(10, 10), "image/jpeg");
    for (const q of [
      "width=0&height=10",
      "width=-1&height=10",
      "width=abc&height=10",
      "width=1.5&height=2",
      "width=10&height=10&method=zoom",
      "width=10&height=10&animated=yes",
    ]) {
      expect(await errorOf(id, q), q).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    }
    expect(await errorOf(id, "width=10")).toEqual({ status: 400, errcode: "M_MISSING_PARAM" });
  });

  it("corrupt images, text and (without ffmpeg) video cannot be thumbnailed: 400 M_UNKNOWN", async () => {
    const good = await jpeg(100, 100);
    const corrupt = Buffer.concat([good.subarray(0, 200), Buffer.alloc(500, 0x42)]);
    const broken = await uploadOk(hs, alice, corrupt, "image/jpeg");
    expect(await errorOf(broken, "width=32&height=32")).toEqual({ status: 400, errcode: "M_UNKNOWN" });
    const text = await uploadOk(hs, alice, "words", "text/plain");
    expect(await errorOf(text, "width=32&height=32")).toEqual({ status: 400, errcode: "M_UNKNOWN" });
    expect(hs.ctx.media.ffmpegPath).toBeUndefined();
    const video = await uploadOk(hs, alice, Buffer.from("\x1aE\xdf\xa3fake-webm"), "video/webm");
    expect(await errorOf(video, "width=32&height=32")).toEqual({ status: 400, errcode: "M_UNKNOWN" });
  });

  it("decompression bombs (more pixels than media.max_image_pixels) are 413 M_TOO_LARGE", async () => {
    const id = await uploadOk(hs, alice, await png(1001, 1000), "image/png");
    expect(await errorOf(id, "width=32&height=32")).toEqual({ status: 413, errcode: "M_TOO_LARGE" });
    await hs.ctx.media.drain();
    expect(
      await listThumbnails(hs.ctx.db, { serverName: "hearth.test", mediaId: id.split("/")[1] ?? "" }),
    ).toEqual([]);
  });

  it("unknown media is 404", async () => {
    expect(await errorOf("hearth.test/nope", "width=32&height=32")).toEqual({
      status: 404,
      errcode: "M_NOT_FOUND",
    });
  });
});

describe("video poster frames with ffmpeg", () => {
  // No ffmpeg on this machine: a stand-in script checks the arguments Hearth passes (input after -i
  // exists, one frame, PNG to stdout) and answers with a PNG. This tests our side of the contract
  // (argument handling, reading the frame, thumbnailing it), not ffmpeg's decoding.
  it("thumbnails the frame ffmpeg writes to stdout", async () => {
    const frame = path.join(hs.dataDir, "frame.png");
    await writeFile(frame, await png(640, 360));
    const fake = path.join(hs.dataDir, "ffmpeg");
    await writeFile(
      fake,
      `#!/bin/sh
set -e
[ "$1" = "-nostdin" ] || exit 3
while [ $# -gt 0 ]; do
  case "$1" in
    -i) shift; [ -f "$1" ] || exit 4; input="$1" ;;
    -frames:v) shift; [ "$1" = "1" ] || exit 5 ;;
    -vcodec) shift; [ "$1" = "png" ] || exit 6 ;;
  esac
  last="$1"; shift
done
[ -n "$input" ] && [ "$last" = "pipe:1" ] || exit 7
cat "${frame}"
`,
    );
    await chmod(fake, 0o755);
    const withFfmpeg = await startTestHomeserver({ media: { ffmpeg_path: fake } });
    try {
      expect(withFfmpeg.ctx.media.ffmpegPath).toBe(fake);
      const bob = await createTestUser(withFfmpeg, "bob");
      const id = await uploadOk(withFfmpeg, bob, Buffer.from("\x1aE\xdf\xa3fake-webm"), "video/webm");
      const res = await get(withFfmpeg, thumb(id, "width=320&height=240&method=scale"), bob);
      expect(res.status).toBe(200);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual([320, 180]);
    } finally {
      await withFfmpeg.destroy();
    }
  });
});
