import { describe, expect, it } from "vitest";
import { contentDisposition } from "../../src/media/content-headers.ts";
import { decideContentType, parseDeclaredType } from "../../src/media/content-type.ts";
import { boundaryOf, multipartFrame, parseMultipart } from "../../src/media/multipart.ts";
import { parseOpenGraph } from "../../src/media/preview/opengraph.ts";
import { parseRange } from "../../src/media/range.ts";
import { filenameOf } from "../../src/media/remote.ts";
import { chooseTarget } from "../../src/media/thumbnails.ts";

describe("Range parsing", () => {
  it("handles ranges, suffixes, open ends, clamping and the unsatisfiable", () => {
    expect(parseRange(undefined, 10)).toEqual({ kind: "whole" });
    expect(parseRange("bytes=0-0", 10)).toEqual({ kind: "partial", start: 0, end: 0 });
    expect(parseRange("bytes=5-", 10)).toEqual({ kind: "partial", start: 5, end: 9 });
    expect(parseRange("bytes=-3", 10)).toEqual({ kind: "partial", start: 7, end: 9 });
    expect(parseRange("bytes=-30", 10)).toEqual({ kind: "partial", start: 0, end: 9 });
    expect(parseRange("bytes=8-100", 10)).toEqual({ kind: "partial", start: 8, end: 9 });
    expect(parseRange("bytes=10-", 10)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-0", 10)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
    // Ignored (whole body): several ranges, reversed ranges, other units, junk.
    for (const h of ["bytes=0-1,3-4", "bytes=5-2", "items=0-1", "bytes=a-b", "bytes=-"]) {
      expect(parseRange(h, 10), h).toEqual({ kind: "whole" });
    }
  });
});

describe("declared against sniffed types", () => {
  it("keeps honest labels, fills generic ones, corrects subtypes, refuses lies", () => {
    expect(decideContentType("image/png", "image/png")).toBe("image/png");
    expect(decideContentType("text/plain; charset=utf-8", undefined)).toBe("text/plain; charset=utf-8");
    expect(decideContentType(undefined, "image/gif")).toBe("image/gif");
    expect(decideContentType("application/octet-stream", undefined)).toBe("application/octet-stream");
    expect(decideContentType("image/jpeg", "image/png")).toBe("image/png");
    expect(decideContentType("image/svg+xml", "application/xml")).toBe("image/svg+xml");
    expect(
      decideContentType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
      ),
    ).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    expect(decideContentType("video/mp4", "audio/mp4")).toBe("audio/mp4");
    expect(() => decideContentType("image/png", undefined)).toThrow(/not image\/png/);
    expect(() => decideContentType("image/png", "application/xml")).toThrow();
    expect(() => decideContentType("audio/ogg", "application/pdf")).toThrow(/application\/pdf/);
    expect(() => parseDeclaredType("text/plain\r\nX-Evil: 1")).toThrow();
    expect(parseDeclaredType("")).toBeUndefined();
  });
});

describe("Content-Disposition", () => {
  it("is inline only for the spec's safe types, and encodes awkward names", () => {
    expect(contentDisposition("image/PNG", "a.png")).toBe('inline; filename="a.png"');
    expect(contentDisposition("text/plain; charset=utf-8", null)).toBe("inline");
    expect(contentDisposition("image/svg+xml", null)).toBe("attachment");
    expect(contentDisposition("application/javascript", 'x"y.js')).toBe(
      "attachment; filename*=utf-8''x%22y.js",
    );
    expect(filenameOf("attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf")).toBe("résumé.pdf");
    expect(filenameOf('inline; filename="a b.txt"')).toBe("a b.txt");
    expect(filenameOf("inline; filename*=utf-8''%ZZ")).toBeNull();
    expect(filenameOf("inline")).toBeNull();
  });
});

describe("multipart/mixed", () => {
  it("round-trips the frame federation media sends, binary bytes included", () => {
    const bytes = Buffer.from([0, 13, 10, 45, 45, 255, 1]);
    const { head, tail } = multipartFrame("b0undary", "{}", { "Content-Type": "image/png" });
    const parts = parseMultipart(Buffer.concat([head, bytes, tail]), "b0undary");
    expect(parts?.map((p) => [p.headers.get("content-type"), p.body.toString("hex")])).toEqual([
      ["application/json", Buffer.from("{}").toString("hex")],
      ["image/png", bytes.toString("hex")],
    ]);
  });

  it("reads boundaries quoted or not, and refuses malformed bodies", () => {
    expect(boundaryOf('multipart/mixed; boundary="a b"')).toBe("a b");
    expect(boundaryOf("multipart/mixed;boundary=xyz")).toBe("xyz");
    expect(boundaryOf("multipart/form-data; boundary=xyz")).toBeUndefined();
    expect(boundaryOf(null)).toBeUndefined();
    expect(parseMultipart(Buffer.from("no delimiter"), "x")).toBeUndefined();
    expect(parseMultipart(Buffer.from("--x\r\nContent-Type: a/b\r\n\r\nunterminated"), "x")).toBeUndefined();
    expect(parseMultipart(Buffer.from("--x\r\nbad header line\r\n\r\nbody\r\n--x--"), "x")).toBeUndefined();
  });
});

describe("thumbnail size choice", () => {
  it("uses the smallest pre-generated size that covers the ask, else the ask (capped)", () => {
    expect(chooseTarget({ width: 30, height: 30, method: "crop", animated: false })).toMatchObject({
      width: 32,
      height: 32,
    });
    expect(chooseTarget({ width: 33, height: 10, method: "crop", animated: false })).toMatchObject({
      width: 96,
      height: 96,
    });
    expect(chooseTarget({ width: 600, height: 100, method: "scale", animated: false })).toMatchObject({
      width: 640,
      height: 480,
    });
    expect(chooseTarget({ width: 97, height: 97, method: "crop", animated: false })).toMatchObject({
      width: 97,
      height: 97,
    });
    expect(chooseTarget({ width: 30, height: 30, method: "crop", animated: true })).toMatchObject({
      width: 30,
      height: 30,
    });
    expect(chooseTarget({ width: 9000, height: 20, method: "scale", animated: false })).toMatchObject({
      width: 1600,
      height: 20,
    });
  });
});

describe("OpenGraph parsing", () => {
  it("takes the first og tag, decodes entities and ignores tags without content", () => {
    const og = parseOpenGraph(
      `<meta property="og:title" content="One"><meta property="og:title" content="Two">` +
        `<meta property="og:url"><meta name="og:site_name" content="S&#39;s &unknown; &#0;">`,
    );
    expect(og).toEqual({ "og:title": "One", "og:site_name": "S's &unknown; &#0;" });
  });
});
