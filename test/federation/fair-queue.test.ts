import { describe, expect, it } from "vitest";
import { FairQueue } from "../../src/federation/inbound/fair-queue.ts";

/** A task that finishes when told to, recording when it started. */
function gate(
  log: string[],
  name: string,
): { task: () => Promise<string>; open: () => void; started: Promise<void> } {
  let open!: () => void;
  let start!: () => void;
  const done = new Promise<void>((r) => (open = r));
  const started = new Promise<void>((r) => (start = r));
  return {
    task: async () => {
      log.push(name);
      start();
      await done;
      return name;
    },
    open: () => open(),
    started,
  };
}

describe("FairQueue", () => {
  it("runs one task per origin at a time, in order", async () => {
    const q = new FairQueue(4);
    const log: string[] = [];
    const a1 = gate(log, "a1");
    const a2 = gate(log, "a2");
    const p1 = q.run("a", a1.task);
    const p2 = q.run("a", a2.task);
    expect(log).toEqual(["a1"]);
    expect(q.pending("a")).toBe(1);
    a1.open();
    expect(await p1).toBe("a1");
    a2.open();
    expect(await p2).toBe("a2");
    expect(log).toEqual(["a1", "a2"]);
  });

  it("does not let a flooding origin starve another", async () => {
    const q = new FairQueue(1);
    const log: string[] = [];
    const flood = Array.from({ length: 5 }, (_, i) => gate(log, `flood${i}`));
    const floodDone = flood.map((g) => q.run("flood", g.task));
    const other = gate(log, "other");
    const otherDone = q.run("other", other.task);
    // The only slot is flood0's; the next goes to "other", not to flood1.
    flood[0]!.open();
    await floodDone[0];
    await other.started;
    expect(log).toEqual(["flood0", "other"]);
    other.open();
    await otherDone;
    for (const g of flood) g.open();
    await Promise.all(floodDone);
    expect(log).toEqual(["flood0", "other", "flood1", "flood2", "flood3", "flood4"]);
  });

  it("passes failures to the caller and keeps going", async () => {
    const q = new FairQueue(1);
    await expect(q.run("a", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await q.run("a", async () => 1)).toBe(1);
  });
});
