import { describe, expect, it } from "vitest";
import { BEFORE_ALL, formatGap, gapBefore, parsePaginationToken } from "../../src/rooms/pagination-token.ts";
import { parseRoomAlias } from "../../src/rooms/room-alias.ts";

describe("parseRoomAlias (spec appendix: room aliases)", () => {
  it("splits at the first colon; the domain may carry a port or be an IP literal", () => {
    expect(parseRoomAlias("#room:example.org")).toEqual({
      alias: "#room:example.org",
      localpart: "room",
      domain: "example.org",
    });
    expect(parseRoomAlias("#room:localhost:8448")?.domain).toBe("localhost:8448");
    expect(parseRoomAlias("#room:[::1]:8448")?.domain).toBe("[::1]:8448");
    expect(parseRoomAlias("#ünïcødé 🎉:example.org")?.localpart).toBe("ünïcødé 🎉");
  });

  it("refuses what the grammar forbids", () => {
    for (const bad of [
      "room:example.org",
      "#room",
      "#room:",
      "#room:exa mple.org",
      "#ro\u0000om:example.org",
      "#\ud800:example.org",
      `#${"a".repeat(250)}:example.org`,
    ]) {
      expect(parseRoomAlias(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe("pagination tokens", () => {
  it("parse topological and sync tokens, refuse anything else", () => {
    expect(parsePaginationToken("t12_-3", "from")).toEqual({
      kind: "topological",
      position: { topological: 12, stream: -3 },
    });
    expect(parsePaginationToken("s42_1_2_3_4_5_6", "from")).toEqual({ kind: "stream", stream: 42 });
    for (const bad of ["", "t", "t1", "x1_2", "s", "s1_x", "t01_1", "t1_2_3"]) {
      expect(() => parsePaginationToken(bad, "from"), bad).toThrow();
    }
  });

  it("name gaps: the gap before an event sorts before it and after everything older", () => {
    expect(formatGap(gapBefore({ topological: 5, stream: 10 }))).toBe("t5_9");
    expect(formatGap(BEFORE_ALL)).toBe("t-1_-1");
    expect(parsePaginationToken(formatGap(BEFORE_ALL), "from")).toEqual({
      kind: "topological",
      position: BEFORE_ALL,
    });
  });
});
