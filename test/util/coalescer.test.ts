import { expect, it } from "vitest";
import { Coalescer } from "../../src/util/coalescer.ts";

it("answers the calls of one turn with one run, each key in order", async () => {
  const runs: number[][] = [];
  const c = new Coalescer<number, string>(async (keys) => {
    runs.push([...keys]);
    return keys.map((k) => `#${k}`);
  });
  const first = await Promise.all([c.load(1), c.load(2), c.load(3)]);
  expect(first).toEqual(["#1", "#2", "#3"]);
  expect(runs).toEqual([[1, 2, 3]]);
  // A later turn is a new run.
  expect(await c.load(4)).toBe("#4");
  expect(runs).toEqual([[1, 2, 3], [4]]);
});

it("splits turns larger than the batch size and fails every caller of a failed run", async () => {
  const runs: number[][] = [];
  const c = new Coalescer<number, number>(async (keys) => {
    runs.push([...keys]);
    if (keys.includes(5)) throw new Error("boom");
    return keys.map((k) => k * 10);
  }, 2);
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map((k) => c.load(k)));
  expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  expect(results.slice(0, 4)).toEqual([10, 20, 30, 40].map((value) => ({ status: "fulfilled", value })));
  expect(results[4]).toMatchObject({ status: "rejected", reason: new Error("boom") });
});
