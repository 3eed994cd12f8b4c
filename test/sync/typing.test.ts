import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Notifier, type StreamChange } from "../../src/sync/notifier.ts";
import { MAX_TYPING_TIMEOUT_MS, TypingTracker } from "../../src/sync/typing.ts";

describe("TypingTracker", () => {
  let notifier: Notifier;
  let changes: StreamChange[];
  let typing: TypingTracker;
  beforeEach(() => {
    vi.useFakeTimers();
    notifier = new Notifier();
    changes = [];
    notifier.subscribe((c) => changes.push(c));
    typing = new TypingTracker(notifier);
  });
  afterEach(() => {
    typing.close();
    vi.useRealTimers();
  });

  it("keeps the full set per room and announces each change on the typing stream", () => {
    typing.setTyping("!r", "@b:x", true, 10_000);
    typing.setTyping("!r", "@a:x", true, 10_000);
    typing.setTyping("!other", "@c:x", true, 10_000);
    expect(typing.typingUsers("!r")).toEqual(["@a:x", "@b:x"]);
    expect(changes.map((c) => [c.stream, c.position, c.roomIds])).toEqual([
      ["typing", 1, ["!r"]],
      ["typing", 2, ["!r"]],
      ["typing", 3, ["!other"]],
    ]);
    expect(typing.changedSince("!r", 1)).toBe(true);
    expect(typing.changedSince("!r", 2)).toBe(false);
    expect(typing.changedSince("!nobody", 0)).toBe(false);
  });

  it("a renewal changes nothing visible; stopping does; stopping when not typing does not", () => {
    typing.setTyping("!r", "@a:x", true, 10_000);
    typing.setTyping("!r", "@a:x", true, 10_000);
    expect(typing.currentPosition).toBe(1);
    typing.setTyping("!r", "@a:x", false, 0);
    expect(typing.currentPosition).toBe(2);
    expect(typing.typingUsers("!r")).toEqual([]);
    typing.setTyping("!r", "@a:x", false, 0);
    expect(typing.currentPosition).toBe(2);
    expect(typing.changedSince("!r", 1)).toBe(true); // the set became empty after 1
  });

  it("expires after the timeout, renewals extend it, and the timeout is capped", () => {
    typing.setTyping("!r", "@a:x", true, 5_000);
    vi.advanceTimersByTime(4_000);
    typing.setTyping("!r", "@a:x", true, 5_000);
    vi.advanceTimersByTime(4_000);
    expect(typing.typingUsers("!r")).toEqual(["@a:x"]);
    vi.advanceTimersByTime(1_000);
    expect(typing.typingUsers("!r")).toEqual([]);
    expect(changes.at(-1)).toMatchObject({ stream: "typing", roomIds: ["!r"] });
    typing.setTyping("!r", "@b:x", true, 10 * MAX_TYPING_TIMEOUT_MS);
    vi.advanceTimersByTime(MAX_TYPING_TIMEOUT_MS);
    expect(typing.typingUsers("!r")).toEqual([]);
  });

  it("a token from before a restart (ahead of the counter) counts as changed", () => {
    expect(typing.changedSince("!r", 57)).toBe(true);
  });
});
