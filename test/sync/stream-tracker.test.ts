import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StreamTracker } from "../../src/sync/stream-tracker.ts";

describe("StreamTracker", () => {
  it("never lets readers past a position still in flight", () => {
    const t = new StreamTracker(10);
    const a = t.allocate(); // 11
    const b = t.allocate(); // 12
    expect(t.persistedUpTo).toBe(10);
    expect(t.complete(b)).toBe(false); // 12 committed first, 11 still pending
    expect(t.persistedUpTo).toBe(10);
    expect(t.complete(a)).toBe(true);
    expect(t.persistedUpTo).toBe(12);
  });

  it("treats an abandoned (rolled back) position as done", () => {
    const t = new StreamTracker(0);
    const a = t.allocate();
    const b = t.allocate();
    t.complete(a);
    expect(t.persistedUpTo).toBe(1);
    t.complete(b);
    expect(t.persistedUpTo).toBe(2);
    expect(t.complete(b)).toBe(false); // completing twice is harmless
  });

  it("persistedUpTo is always below every pending position and only grows (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 1e6 }),
        (ops, seed) => {
          const t = new StreamTracker(0);
          const pending: number[] = [];
          let rnd = seed;
          let last = 0;
          for (const allocate of ops) {
            if (allocate || pending.length === 0) pending.push(t.allocate());
            else {
              rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
              const [p] = pending.splice(rnd % pending.length, 1);
              t.complete(p!);
            }
            expect(t.persistedUpTo).toBeGreaterThanOrEqual(last);
            last = t.persistedUpTo;
            for (const p of pending) expect(t.persistedUpTo).toBeLessThan(p);
          }
          for (const p of pending) t.complete(p);
          expect(t.persistedUpTo).toBe(t.lastAllocated);
        },
      ),
    );
  });
});
