import { describe, expect, it } from "vitest";
import {
  formatSyncToken,
  formatTopologicalToken,
  parseSyncToken,
  parseTopologicalToken,
  type SyncToken,
} from "../../src/sync/tokens.ts";

describe("tokens", () => {
  const token: SyncToken = {
    events: 12,
    account_data: 3,
    receipts: 0,
    typing: 7,
    presence: 1,
    to_device: 9,
    device_lists: 2,
  };

  it("round-trip", () => {
    expect(formatSyncToken(token)).toBe("s12_3_0_7_1_9_2");
    expect(parseSyncToken("s12_3_0_7_1_9_2")).toEqual(token);
    expect(parseTopologicalToken(formatTopologicalToken({ topological: 5, stream: -3 }))).toEqual({
      topological: 5,
      stream: -3,
    });
  });

  it("accept a shorter sync token with missing streams at 0", () => {
    expect(parseSyncToken("s12")).toMatchObject({ events: 12, account_data: 0, device_lists: 0 });
  });

  it("reject malformed tokens", () => {
    for (const bad of [
      "",
      "s",
      "x12",
      "s-1",
      "s1_2_3_4_5_6_7_8",
      "s01",
      "s1__2",
      "s1.5",
      "s99999999999999999",
    ]) {
      expect(parseSyncToken(bad)).toBeUndefined();
    }
    for (const bad of ["", "t", "t1", "t1_", "ta_b", "s1_2", "t1_2_3"])
      expect(parseTopologicalToken(bad)).toBeUndefined();
  });
});
