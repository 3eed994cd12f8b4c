import { describe, expect, it } from "vitest";
import { RoomActivity } from "../../src/rooms/room-activity.ts";

describe("RoomActivity", () => {
  it("knows a room unwritten since start has nothing after the start position", () => {
    const activity = new RoomActivity(100);
    expect(activity.mayHaveEventsAfter("!a:hs", 100)).toBe(false);
    expect(activity.mayHaveEventsAfter("!a:hs", 150)).toBe(false);
    // A token from before the start (an earlier run of the server) may miss events written then.
    expect(activity.mayHaveEventsAfter("!a:hs", 99)).toBe(true);
  });

  it("tracks each room's newest write, whatever order writes commit in", () => {
    const activity = new RoomActivity(10);
    activity.wrote("!a:hs", 14);
    activity.wrote("!a:hs", 12);
    activity.wrote("!b:hs", 11);
    expect(activity.mayHaveEventsAfter("!a:hs", 13)).toBe(true);
    expect(activity.mayHaveEventsAfter("!a:hs", 14)).toBe(false);
    expect(activity.mayHaveEventsAfter("!b:hs", 10)).toBe(true);
    expect(activity.mayHaveEventsAfter("!b:hs", 11)).toBe(false);
    expect(activity.mayHaveEventsAfter("!c:hs", 10)).toBe(false);
  });
});
