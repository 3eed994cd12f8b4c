import { describe, expect, it } from "vitest";
import {
  formatXMatrixAuthorization,
  parseXMatrixAuthorization,
  XMatrixHeaderError,
} from "../../src/federation/x-matrix-header.ts";

const SPEC_EXAMPLE =
  'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF..."';

describe("X-Matrix header parsing", () => {
  it("parses the spec's example", () => {
    expect(parseXMatrixAuthorization(SPEC_EXAMPLE)).toEqual([
      {
        origin: "origin.hs.example.com",
        destination: "destination.hs.example.com",
        key: "ed25519:key1",
        sig: "ABCDEF...",
      },
    ]);
  });

  it("accepts unquoted values, colons in them, spaces and tabs around commas and '=', any name case", () => {
    const header =
      'x-matrix   ORIGIN=localhost:8448 ,\tDestination = "b.example" , key=ed25519:a_Obwu,Sig=abc+/DEF';
    expect(parseXMatrixAuthorization(header)).toEqual([
      { origin: "localhost:8448", destination: "b.example", key: "ed25519:a_Obwu", sig: "abc+/DEF" },
    ]);
  });

  it("unescapes quoted values and ignores unknown parameters and empty list elements", () => {
    const header = 'X-Matrix origin="a\\"b\\\\c",,key="ed25519:1", future=thing, sig="s"';
    expect(parseXMatrixAuthorization(header)).toEqual([{ origin: 'a"b\\c', key: "ed25519:1", sig: "s" }]);
  });

  it("reads several credentials joined into one value, skipping other schemes", () => {
    const header = `Bearer abc, ${SPEC_EXAMPLE}, X-Matrix origin=o,key=ed25519:2,sig=t`;
    const creds = parseXMatrixAuthorization(header);
    expect(creds.map((c) => c.key)).toEqual(["ed25519:key1", "ed25519:2"]);
    expect(creds[1]).toEqual({ origin: "o", key: "ed25519:2", sig: "t" });
  });

  it("round-trips what it formats, escaping quotes", () => {
    const creds = { origin: 'we"ird', destination: "d", key: "ed25519:1", sig: "x" };
    expect(parseXMatrixAuthorization(formatXMatrixAuthorization(creds))).toEqual([creds]);
    expect(formatXMatrixAuthorization({ origin: "o", destination: "d", key: "ed25519:1", sig: "s" })).toBe(
      'X-Matrix origin="o",destination="d",key="ed25519:1",sig="s"',
    );
  });

  it.each([
    ["empty", ""],
    ["another scheme only", "Bearer sometoken"],
    ["no parameters", "X-Matrix"],
    ["missing sig", 'X-Matrix origin="a",key="ed25519:1"'],
    ["missing origin", 'X-Matrix key="ed25519:1",sig="s"'],
    ["unterminated quote", 'X-Matrix origin="a,key="ed25519:1",sig="s'],
    ["dangling backslash", 'X-Matrix origin="a\\'],
    ["duplicate parameter", 'X-Matrix origin="a",origin="b",key="ed25519:1",sig="s"'],
    ["garbage between parameters", 'X-Matrix origin="a" junk,key="ed25519:1",sig="s"'],
    ["token68", "X-Matrix abc=="],
    ["value missing", "X-Matrix origin=,key=k,sig=s"],
  ])("rejects %s", (_name, header) => {
    expect(() => parseXMatrixAuthorization(header)).toThrow(XMatrixHeaderError);
  });
});
