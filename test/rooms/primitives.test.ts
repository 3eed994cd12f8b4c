import { describe, expect, it } from "vitest";
import { CommitNotifications } from "../../src/rooms/commit-notifications.ts";
import { KeyedMutex } from "../../src/rooms/keyed-mutex.ts";
import { Notifier, type StreamChange } from "../../src/sync/notifier.ts";
import { StreamTracker } from "../../src/sync/stream-tracker.ts";

describe("KeyedMutex", () => {
  it("runs one holder per key, in call order, and different keys concurrently", async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (key: string, name: string, ms: number) =>
      mutex.run(key, async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}-`);
      });
    await Promise.all([task("a", "a1", 20), task("a", "a2", 1), task("b", "b1", 5)]);
    expect(log.indexOf("a1-")).toBeLessThan(log.indexOf("a2+"));
    expect(log.indexOf("b1+")).toBeLessThan(log.indexOf("a1-"));
    expect(mutex.size).toBe(0);
  });

  it("releases the key when the holder throws", async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await mutex.run("k", async () => 42)).toBe(42);
    expect(mutex.size).toBe(0);
  });
});

describe("CommitNotifications", () => {
  it("holds a wake-up until every earlier position has completed, then wakes with persistedUpTo", () => {
    const tracker = new StreamTracker(0);
    const notifier = new Notifier();
    const seen: StreamChange[] = [];
    notifier.subscribe((c) => seen.push(c));
    const commits = new CommitNotifications();
    const p1 = tracker.allocate();
    const p2 = tracker.allocate();
    // Room B (position 2) commits first: its readers must not be woken at a point that skips 1.
    commits.committed(p2, ["!b"], ["@b:x"]);
    tracker.complete(p2);
    commits.flush(tracker, notifier);
    expect(seen).toEqual([]);
    // Position 1 rolls back: now 2 is covered.
    tracker.complete(p1);
    commits.flush(tracker, notifier);
    expect(seen).toEqual([{ stream: "events", position: 2, roomIds: ["!b"], userIds: ["@b:x"] }]);
  });
});
