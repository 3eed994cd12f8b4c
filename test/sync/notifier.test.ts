import { describe, expect, it } from "vitest";
import { Notifier } from "../../src/sync/notifier.ts";

describe("Notifier", () => {
  it("wakes waiters of the changed room or user, not others", async () => {
    const n = new Notifier();
    const inRoom = n.wait("@a:x", ["!r1"], 10_000);
    const other = n.wait("@b:x", ["!r2"], 50);
    const byUser = n.wait("@c:x", [], 10_000);
    expect(n.waiting).toBe(3);
    n.notify({ stream: "events", position: 5, roomIds: ["!r1"] });
    expect(await inRoom).toMatchObject({ stream: "events", position: 5 });
    n.notify({ stream: "account_data", position: 2, userIds: ["@c:x"] });
    expect(await byUser).toMatchObject({ stream: "account_data" });
    expect(await other).toBeUndefined(); // timed out
    expect(n.waiting).toBe(0);
  });

  it("resolves undefined on abort and unregisters", async () => {
    const n = new Notifier();
    const ac = new AbortController();
    const w = n.wait("@a:x", ["!r"], 10_000, ac.signal);
    ac.abort();
    expect(await w).toBeUndefined();
    expect(n.waiting).toBe(0);
    const pre = new AbortController();
    pre.abort();
    expect(await n.wait("@a:x", [], 10_000, pre.signal)).toBeUndefined();
  });

  it("releaseAll ends every wait without a change (shutdown)", async () => {
    const n = new Notifier();
    const waits = [n.wait("@a:x", ["!r"], 10_000), n.wait("@b:x", [], 10_000)];
    n.releaseAll();
    expect(await Promise.all(waits)).toEqual([undefined, undefined]);
    expect(n.waiting).toBe(0);
  });

  it("handles many waiters cheaply", async () => {
    const n = new Notifier();
    const waits = Array.from({ length: 10_000 }, (_, i) => n.wait(`@u${i}:x`, [`!room${i % 10}`], 10_000));
    n.notify({ stream: "events", position: 1, roomIds: ["!room3"] });
    expect(n.waiting).toBe(9_000);
    for (let r = 0; r < 10; r++) n.notify({ stream: "events", position: 2, roomIds: [`!room${r}`] });
    expect((await Promise.all(waits)).every((c) => c !== undefined)).toBe(true);
  });
});
