import { describe, expect, it } from "vitest";
import { Notifier, type StreamChange } from "../../src/sync/notifier.ts";
import { StreamTracker } from "../../src/sync/stream-tracker.ts";
import { StreamWriter } from "../../src/sync/stream-writer.ts";

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("StreamWriter", () => {
  it("announces a change only once persistedUpTo covers it, and never skips one", async () => {
    const tracker = new StreamTracker(0);
    const notifier = new Notifier();
    const seen: StreamChange[] = [];
    notifier.subscribe((c) => seen.push(c));
    const writer = new StreamWriter("account_data", tracker, notifier);
    const first = deferred();
    const second = deferred();
    const w1 = writer.write(
      () => first.promise,
      () => ({ userIds: ["@a:x"] }),
    );
    const w2 = writer.write(
      () => second.promise,
      () => ({ userIds: ["@b:x"] }),
    );
    second.resolve();
    await w2;
    // 2 committed while 1 is in flight: readers may not see 2 yet, so nobody is woken.
    expect(tracker.persistedUpTo).toBe(0);
    expect(seen).toEqual([]);
    first.resolve();
    await w1;
    expect(tracker.persistedUpTo).toBe(2);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ stream: "account_data", position: 2 });
    expect([...(seen[0]?.userIds ?? [])].sort()).toEqual(["@a:x", "@b:x"]);
  });

  it("a failed write completes its position (no stuck stream) and wakes nobody", async () => {
    const tracker = new StreamTracker(10);
    const notifier = new Notifier();
    const seen: StreamChange[] = [];
    notifier.subscribe((c) => seen.push(c));
    const writer = new StreamWriter("receipts", tracker, notifier);
    await expect(
      writer.write(
        () => Promise.reject(new Error("db down")),
        () => ({ roomIds: ["!r"] }),
      ),
    ).rejects.toThrow("db down");
    expect(tracker.persistedUpTo).toBe(11);
    expect(seen).toEqual([]);
    await writer.write(
      async () => undefined,
      () => undefined,
    );
    expect(tracker.persistedUpTo).toBe(12);
    expect(seen).toEqual([]);
  });
});
